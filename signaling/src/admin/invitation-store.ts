import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { hashSecret, newSecret } from '../ids.ts';
import type { MemberRole } from '../organizations/organization-store.ts';

export const INVITATION_TTL_MS = 72 * 3600_000;

export interface Invitation {
  orgId: string;
  name: string;
  email: string;
  role: MemberRole;
  expiresAt: number;
}

/**
 * Invitations to join an organization: a link with a 256-bit secret, usable once, for 72 hours. Redis
 * holds only the secret's hash (a copy of Redis lets no one join). The token is `<org>.<secret>`, so it
 * can be looked up before anyone is logged in.
 */
export class InvitationStore {
  constructor(private readonly redis: Redis) {}

  async create(orgId: string, invite: { name: string; email: string; role: MemberRole }, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const secret = newSecret();
    const expiresAt = now + INVITATION_TTL_MS;
    const key = keys.invitation(orgId, hashSecret(secret));
    await this.redis.multi().hset(key, { ...invite, expiresAt }).pexpire(key, INVITATION_TTL_MS).exec();
    return { token: `${orgId}.${secret}`, expiresAt };
  }

  /** What the invitation is for, without using it up; null for anything unknown, used or expired. */
  async peek(token: unknown): Promise<Invitation | null> {
    const key = keyOf(token);
    if (!key) return null;
    return toInvitation(key.orgId, await this.redis.hgetall(key.key));
  }

  /** Uses the invitation up: of two concurrent uses, exactly one gets it. */
  async take(token: unknown): Promise<Invitation | null> {
    const key = keyOf(token);
    if (!key) return null;
    const [[, h], [, deleted]] = (await this.redis.multi().hgetall(key.key).del(key.key).exec()) as [[null, Record<string, string>], [null, number]];
    return deleted === 1 ? toInvitation(key.orgId, h) : null;
  }
}

function keyOf(token: unknown): { orgId: string; key: string } | null {
  if (typeof token !== 'string') return null;
  const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { orgId: m[1]!, key: keys.invitation(m[1]!, hashSecret(m[2]!)) } : null;
}

function toInvitation(orgId: string, h: Record<string, string>): Invitation | null {
  if (!h.email) return null;
  return { orgId, name: h.name ?? '', email: h.email, role: h.role === 'admin' ? 'admin' : 'professional', expiresAt: Number(h.expiresAt) };
}
