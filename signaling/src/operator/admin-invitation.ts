import { email, personName } from '../../protocol/index.ts';
import { InvitationStore } from '../admin/invitation-store.ts';
import { OperatorInputError, type OperatorContext } from './operator-cli.ts';

const nameProblems: Record<string, string> = {
  name_required: 'must not be empty',
  name_too_long: 'is too long',
  name_invalid_characters: 'has characters a name cannot have (control or direction characters)',
};

/** A name given on the command line, checked with the schema the apps use for it. */
export function checkedName(flag: string, value: string, schema: { safeParse(v: unknown): { success: true; data: string } | { success: false; error: { issues: { message: string }[] } } }): string {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new OperatorInputError(`--${flag} ${nameProblems[parsed.error.issues[0]?.message ?? ''] ?? 'is not a name'}`);
}

/** Without --admin-name, a name from the address (`kari.hansen@` -> "Kari Hansen"); they can rename their room later. */
function nameFromAddress(address: string): string {
  const local = address.split('@')[0]!.replace(/[._+-]+/g, ' ').trim();
  return local.replace(/(^|\s)\p{L}/gu, (c) => c.toUpperCase()) || address;
}

export interface AdminInvitee {
  email: string;
  name: string;
}

/** The first admin as given by `--admin-email` and `--admin-name`, checked before anything connects. */
export function adminInvitee(args: { 'admin-email': string; 'admin-name'?: string }): AdminInvitee {
  const address = email.safeParse(args['admin-email']);
  if (!address.success) throw new OperatorInputError(`--admin-email is not an e-mail address: ${JSON.stringify(args['admin-email'])}`);
  return { email: address.data, name: checkedName('admin-name', args['admin-name'] ?? nameFromAddress(address.data), personName) };
}

/** Refuses an address that is already a member's: the invitation could not be accepted. */
export async function checkAddressFree(c: OperatorContext, invitee: AdminInvitee): Promise<void> {
  if (await c.organizations.findProfessionalByEmail(invitee.email)) throw new OperatorInputError(`--admin-email ${invitee.email} already belongs to a member of an organization`);
}

/**
 * The product's own invitation (single use, 72 hours, the secret in the link's #fragment, the 8-digit code
 * shown once), for an admin: the operator never learns the admin's password. Printed for the operator.
 */
export async function inviteAdmin(c: OperatorContext, orgId: string, invitee: AdminInvitee): Promise<string[]> {
  const invitation = await new InvitationStore(c.redis, c.env.addressHashKey).create(orgId, { ...invitee, role: 'admin' });
  return [
    `  invitation for an admin, ${invitee.name} <${invitee.email}>, single use, valid until ${new Date(invitation.expiresAt).toISOString()}:`,
    `    link: ${c.env.publicOrigin}/dashboard/#invitation=${invitation.token}`,
    `    code: ${invitation.code}`,
    '  Give them the code another way than the link (by phone, in person): joining takes both.',
    '  They choose a password and set up two-step login when they open it.',
  ];
}
