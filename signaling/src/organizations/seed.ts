import { randomBytes } from 'node:crypto';
import type { OrganizationStore } from './organization-store.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { AuditLog } from '../audit/audit-log.ts';

export interface DemoLogin {
  email: string;
  password: string;
  roomSlug: string;
}

/**
 * On an empty database: one organization, one member and their room, so a fresh install can be tried at
 * once. The member is the organization's admin, so a newcomer can open every page (members, rooms,
 * retention, integrations, the audit log), not only the waiting room. The password is random and returned only to the operator who started the server. Like
 * every command run at the server on an organization's data, it is an operator action in its audit log.
 */
export async function seedDemo(organizations: OrganizationStore, audit?: AuditLog): Promise<DemoLogin | null> {
  if (!(await organizations.isEmpty())) return null;
  const login: DemoLogin = { email: 'demo@example.com', password: randomBytes(12).toString('base64url'), roomSlug: 'dr-hansen' };
  const org = await organizations.createOrganization('Demo Clinic');
  const pro = await organizations.createProfessional(org.id, {
    name: 'Dr. Kari Hansen',
    email: login.email,
    passwordHash: await hashPassword(login.password),
    role: 'admin',
  });
  const room = await organizations.createRoom(org.id, { slug: login.roomSlug, name: 'Dr. Kari Hansen', professionalId: pro.id });
  await audit?.record({ orgId: org.id, actor: 'operator', action: 'operator_command', targetId: org.id, detail: { command: 'seed_demo', member: pro.id, room: room.id } });
  return login;
}
