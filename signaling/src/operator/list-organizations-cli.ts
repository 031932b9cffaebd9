/**
 * `npm run org:list`: the organizations on this service, one a line: id, name, created, member count, and
 * whether it is closed. Nothing about members or visitors: the operator needs an id to run the other
 * commands and enough to recognise a customer, and every extra field shown would be personal data read
 * without need (members' names and addresses are the organization's to manage, and sealed at rest).
 * Looking is recorded in the audit log of every organization listed.
 */
import { keys } from '../redis/keys.ts';
import { operatorArgs, runOperatorCommand } from './operator-cli.ts';

const day = (ms: string | undefined) => (Number(ms) ? new Date(Number(ms)).toISOString().slice(0, 10) : '-');

await runOperatorCommand(
  'org:list',
  'usage: npm run org:list',
  () => operatorArgs({ required: [] }),
  async (_args, { redis, audit }) => {
    const ids = await redis.smembers(keys.organizations());
    const rows = await Promise.all(
      ids.map(async (orgId) => {
        const [org, members] = await Promise.all([redis.hmget(keys.organization(orgId), 'name', 'createdAt', 'deletedAt'), redis.scard(keys.professionals(orgId))]);
        const [name, createdAt, deletedAt] = org;
        return { orgId, name: name ?? '', created: day(createdAt ?? undefined), members, state: deletedAt ? `closed ${day(deletedAt)}` : 'open', createdAt: Number(createdAt) || 0 };
      }),
    );
    rows.sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
    const table = [['id', 'created', 'members', 'state', 'name'], ...rows.map((r) => [r.orgId, r.created, String(r.members), r.state, r.name])];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) process.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`);
    if (!rows.length) process.stdout.write('(no organizations yet: npm run org:create)\n');
    for (const r of rows) await audit.record({ orgId: r.orgId, actor: 'operator', action: 'operator_command', detail: { command: 'org_list' } });
  },
);
