/**
 * `npm run member:reset-second-factor -- --org <id> --member <e-mail or member id>`: a member lost the phone
 * with their authenticator app (and their recovery codes). Their app and recovery codes stop working and
 * every session of theirs ends at once (open dashboards close at their next session check); at their next
 * login, after the password, they set two-step login up again. An operator does this, not an admin, so a
 * clinic whose only admin lost their phone is not locked out. Recorded in the organization's audit log.
 */
import { id } from '../../protocol/index.ts';
import { SecondFactorStore } from '../auth/second-factor.ts';
import { SessionStore } from '../auth/session-store.ts';
import { keys } from '../redis/keys.ts';
import { OperatorInputError, operatorArgs, runOperatorCommand } from './operator-cli.ts';

await runOperatorCommand(
  'member:reset-second-factor',
  'usage: npm run member:reset-second-factor -- --org <organization id> --member <e-mail address or member id>',
  () => {
    const args = operatorArgs({ required: ['org', 'member'] });
    const orgId = id.safeParse(args.org);
    if (!orgId.success) throw new OperatorInputError(`--org is not an organization id (32 hex digits, see npm run org:list): ${JSON.stringify(args.org)}`);
    if (!args.member.trim()) throw new OperatorInputError('--member must not be empty');
    return { orgId: orgId.data, member: args.member.trim() };
  },
  async ({ orgId, member }, { env, redis, organizations, cipher, audit }) => {
    const [exists, deletedAt] = await Promise.all([redis.exists(keys.organization(orgId)), redis.hget(keys.organization(orgId), 'deletedAt')]);
    if (!exists) throw new OperatorInputError(`no organization ${orgId}`);
    if (deletedAt) throw new OperatorInputError(`organization ${orgId} is closed: its members cannot log in`);
    const byId = id.safeParse(member);
    const found = byId.success ? await organizations.getProfessional(orgId, byId.data) : await organizations.findProfessionalByEmail(member.toLowerCase());
    if (!found || found.orgId !== orgId) throw new OperatorInputError(`no member ${member} in organization ${orgId}`);
    await new SecondFactorStore(redis, cipher, env.addressHashKey).reset(orgId, found.id);
    // (session lengths do not matter here: sessions are only ended)
    const ended = await new SessionStore(redis, 1, 1).destroyAllOf(orgId, found.id);
    await audit.record({ orgId, actor: 'operator', action: 'operator_command', targetId: found.id, detail: { command: 'member_reset_second_factor', sessionsEnded: ended.length } });
    process.stdout.write(
      `member ${found.id} of organization ${orgId}: two-step login reset, ${ended.length} session(s) ended; ` +
        'they set it up again at their next login (password first)\n',
    );
  },
);
