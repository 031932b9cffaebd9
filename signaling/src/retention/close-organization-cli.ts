/**
 * `npm run org:close -- --org <id>`: the end of an organization's contract, by an operator. Its links stop
 * working and its members are logged out at once; its data goes ORGANIZATION_DELETION_DAYS later (the
 * purge job), all but the bookkeeping records of its payments. The command is recorded in the
 * organization's audit log (which goes with the rest).
 *
 * Settings and failures as every operator command (operator/operator-cli.ts): the members' e-mail index is
 * keyed and their records sealed, so it needs the server's keys.
 */
import { id } from '../../protocol/index.ts';
import { ApiKeyStore } from '../api/api-key-store.ts';
import { SessionStore } from '../auth/session-store.ts';
import { OperatorInputError, operatorArgs, runOperatorCommand } from '../operator/operator-cli.ts';
import { closeOrganization } from './organization-deletion.ts';

await runOperatorCommand(
  'org:close',
  'usage: npm run org:close -- --org <organization id>',
  () => {
    const args = operatorArgs({ required: ['org'] });
    const orgId = id.safeParse(args.org);
    if (!orgId.success) throw new OperatorInputError(`--org is not an organization id (32 hex digits, see npm run org:list): ${JSON.stringify(args.org)}`);
    return orgId.data;
  },
  async (orgId, { redis, organizations, audit }) => {
    // (session lengths do not matter here: sessions are only ended)
    const closed = await closeOrganization({ redis, organizations, sessions: new SessionStore(redis, 1, 1), apiKeys: new ApiKeyStore(redis) }, orgId);
    if (!closed) throw new OperatorInputError(`no organization ${orgId}`);
    await audit.record({ orgId, actor: 'operator', action: 'operator_command', detail: { command: 'org_close' } });
    process.stdout.write(`organization ${orgId} closed: links and logins stopped; its data goes when ORGANIZATION_DELETION_DAYS have passed (bookkeeping records stay)\n`);
  },
);
