/**
 * `npm run org:invite-admin -- --org <id> --admin-email <e-mail> [--admin-name <name>]`: a new invitation
 * for an admin of an existing organization, when the first one expired (72 hours) or was used up by wrong
 * codes, or when a clinic's last admin left. Otherwise admins invite from the Organization page. Recorded
 * in the organization's audit log.
 */
import { id } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { adminInvitee, checkAddressFree, inviteAdmin } from './admin-invitation.ts';
import { OperatorInputError, operatorArgs, runOperatorCommand } from './operator-cli.ts';

await runOperatorCommand(
  'org:invite-admin',
  'usage: npm run org:invite-admin -- --org <organization id> --admin-email <e-mail> [--admin-name <the admin’s name>]',
  () => {
    const args = operatorArgs({ required: ['org', 'admin-email'], optional: ['admin-name'] });
    const orgId = id.safeParse(args.org);
    if (!orgId.success) throw new OperatorInputError(`--org is not an organization id (32 hex digits, see npm run org:list): ${JSON.stringify(args.org)}`);
    return { orgId: orgId.data, invitee: adminInvitee(args) };
  },
  async ({ orgId, invitee }, c) => {
    const [name, deletedAt] = await c.redis.hmget(keys.organization(orgId), 'name', 'deletedAt');
    if (name === null) throw new OperatorInputError(`no organization ${orgId}`);
    if (deletedAt) throw new OperatorInputError(`organization ${orgId} is closed`);
    await checkAddressFree(c, invitee);
    const invitation = await inviteAdmin(c, orgId, invitee);
    await c.audit.record({ orgId, actor: 'operator', action: 'operator_command', targetId: orgId, detail: { command: 'org_invite_admin', invited: 'admin' } });
    process.stdout.write(`${[`organization ${orgId}: ${name}`, ...invitation].join('\n')}\n`);
  },
);
