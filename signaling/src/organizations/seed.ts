import { randomBytes } from 'node:crypto';
import type { OrganizationStore } from './organization-store.ts';
import { hashPassword } from '../auth/passwords.ts';

export interface DemoLogin {
  email: string;
  password: string;
  roomSlug: string;
}

/**
 * On an empty database: one organization, one professional and their room, so a fresh install can be
 * tried at once. The password is random and returned only to the operator who started the server.
 */
export async function seedDemo(organizations: OrganizationStore): Promise<DemoLogin | null> {
  if (!(await organizations.isEmpty())) return null;
  const login: DemoLogin = { email: 'demo@example.com', password: randomBytes(12).toString('base64url'), roomSlug: 'dr-hansen' };
  const org = await organizations.createOrganization('Demo Clinic');
  const pro = await organizations.createProfessional(org.id, {
    name: 'Dr. Kari Hansen',
    email: login.email,
    passwordHash: await hashPassword(login.password),
  });
  await organizations.createRoom(org.id, { slug: login.roomSlug, name: 'Dr. Kari Hansen', professionalId: pro.id });
  return login;
}
