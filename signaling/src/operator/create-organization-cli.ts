/**
 * `npm run org:create -- --name "Hansen legekontor" --admin-email kari@example.no [--admin-name "Kari Hansen"]`:
 * a clinic from nothing. Creates the organization with its first room (a shared room named after it, so
 * the clinic has a visitor link from the start; admins see every room) and an invitation for its first
 * admin, who opens the link, types the code, sets a password and two-step login. The invitation is the
 * product's own (single use, 72 hours, the secret in the link's #fragment, the 8-digit code shown once),
 * so the operator never learns the admin's password. Recorded in the new organization's audit log.
 */
import { email, personName, roomName } from '../../protocol/index.ts';
import { InvitationStore } from '../admin/invitation-store.ts';
import { OperatorInputError, operatorArgs, runOperatorCommand } from './operator-cli.ts';

const usage = 'usage: npm run org:create -- --name <organization name> --admin-email <e-mail> [--admin-name <the admin’s name>]';

const nameProblems: Record<string, string> = {
  name_required: 'must not be empty',
  name_too_long: 'is too long',
  name_invalid_characters: 'has characters a name cannot have (control or direction characters)',
};

function checkedName(flag: string, value: string, schema: typeof personName | typeof roomName): string {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const code = parsed.error.issues[0]?.message ?? '';
  throw new OperatorInputError(`--${flag} ${nameProblems[code] ?? 'is not a name'}`);
}

/** Without --admin-name, a name from the address (`kari.hansen@` -> "Kari Hansen"); they can rename their room later. */
function nameFromAddress(address: string): string {
  const local = address.split('@')[0]!.replace(/[._+-]+/g, ' ').trim();
  return local.replace(/(^|\s)\p{L}/gu, (c) => c.toUpperCase()) || address;
}

await runOperatorCommand(
  'org:create',
  usage,
  () => {
    const args = operatorArgs({ required: ['name', 'admin-email'], optional: ['admin-name'] });
    const name = checkedName('name', args.name, roomName);
    const adminEmail = email.safeParse(args['admin-email']);
    if (!adminEmail.success) throw new OperatorInputError(`--admin-email is not an e-mail address: ${JSON.stringify(args['admin-email'])}`);
    const adminName = checkedName('admin-name', args['admin-name'] ?? nameFromAddress(adminEmail.data), personName);
    return { name, adminEmail: adminEmail.data, adminName };
  },
  async ({ name, adminEmail, adminName }, { env, redis, organizations, audit }) => {
    // Checked before anything is written: a taken address would make an invitation no one can accept.
    if (await organizations.findProfessionalByEmail(adminEmail)) throw new OperatorInputError(`--admin-email ${adminEmail} already belongs to a member of an organization`);
    const org = await organizations.createOrganization(name);
    const room = await organizations.createRoom(org.id, { slug: await organizations.freeSlugFor(name), name, kind: 'shared' });
    const invitation = await new InvitationStore(redis, env.addressHashKey).create(org.id, { name: adminName, email: adminEmail, role: 'admin' });
    await audit.record({ orgId: org.id, actor: 'operator', action: 'operator_command', targetId: org.id, detail: { command: 'org_create', room: room.id, invited: 'admin' } });
    const lines = [
      `organization ${org.id} created: ${name}`,
      `  first room, ${name}: visitors use ${env.publicOrigin}/r/${room.slug}`,
      `  invitation for its first admin, ${adminName} <${adminEmail}>, single use, valid until ${new Date(invitation.expiresAt).toISOString()}:`,
      `    link: ${env.publicOrigin}/dashboard/#invitation=${invitation.token}`,
      `    code: ${invitation.code}`,
      '  Give them the code another way than the link (by phone, in person): joining takes both.',
      '  They choose a password and set up two-step login when they open it.',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
);
