import { createHmac, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { defineScript, strings } from '../redis/lua-script.ts';
import { hashSecret, newSecret } from '../ids.ts';
import type { MemberRole } from '../organizations/organization-store.ts';

export const INVITATION_TTL_MS = 72 * 3600_000;
/** Wrong codes an invitation survives; the next one uses it up, and the admin has to invite again. */
export const INVITATION_CODE_TRIES = 5;

export interface Invitation {
  orgId: string;
  name: string;
  email: string;
  role: MemberRole;
  expiresAt: number;
}

export type TakeResult = { ok: true; invitation: Invitation } | { ok: false; reason: 'not_found' } | { ok: false; reason: 'wrong_code'; triesLeft: number };

/**
 * Checks the code and uses the invitation up in one step: a wrong code counts, and the last allowed wrong
 * one deletes the invitation, so parallel guesses get no more than INVITATION_CODE_TRIES between them.
 * An invitation made before it had a code never matches (its admin invites again).
 */
export const takeInvitation = defineScript({
  name: 'takeInvitation',
  keys: ['invitation'],
  args: ['codeHash', 'tries'],
  lua: (k, a) => `
local h = redis.call('HGETALL', ${k.invitation})
if #h == 0 then return {'gone'} end
local codeHash = redis.call('HGET', ${k.invitation}, 'codeHash')
if codeHash ~= ${a.codeHash} then
  local wrong = redis.call('HINCRBY', ${k.invitation}, 'wrongCodes', 1)
  local left = tonumber(${a.tries}) - wrong
  if left <= 0 then
    redis.call('DEL', ${k.invitation})
    return {'gone'}
  end
  return {'wrong', tostring(left)}
end
redis.call('DEL', ${k.invitation})
return {'ok', cjson.encode(h)}
`,
  parse: (reply): ['gone'] | ['wrong', string] | ['ok', string] => strings(reply) as ['gone'] | ['wrong', string] | ['ok', string],
});

/**
 * Invitations to join an organization: a link with a 256-bit secret, usable once, for 72 hours, and an
 * 8-digit code the admin passes on another way (by phone, in person): whoever intercepts the link alone
 * cannot become the member. Redis holds only the secret's hash and the code's keyed hash (eight digits
 * are too few for a plain hash: a copy of Redis would give them away at once). The token is
 * `<org>.<secret>`, so it can be looked up before anyone is logged in.
 */
export class InvitationStore {
  private readonly codeKey: Buffer;

  constructor(
    private readonly redis: Redis,
    hashKey: string,
  ) {
    this.codeKey = createHmac('sha256', hashKey).update('consult invitation codes v1').digest();
  }

  async create(orgId: string, invite: { name: string; email: string; role: MemberRole }, now = Date.now()): Promise<{ token: string; code: string; expiresAt: number }> {
    const secret = newSecret();
    const code = String(randomInt(100_000_000)).padStart(8, '0');
    const expiresAt = now + INVITATION_TTL_MS;
    const secretHash = hashSecret(secret);
    const key = keys.invitation(orgId, secretHash);
    await this.redis
      .multi()
      .hset(key, { ...invite, expiresAt, codeHash: this.codeHash(orgId, secretHash, code) })
      .pexpire(key, INVITATION_TTL_MS)
      .exec();
    return { token: `${orgId}.${secret}`, code, expiresAt };
  }

  /** What the invitation is for, without using it up; null for anything unknown, used or expired. */
  async peek(token: unknown): Promise<Invitation | null> {
    const key = keyOf(token);
    if (!key) return null;
    return toInvitation(key.orgId, await this.redis.hgetall(key.key));
  }

  /** Uses the invitation up if `code` is its code: of two concurrent uses, exactly one gets it. */
  async take(token: unknown, code: string): Promise<TakeResult> {
    const key = keyOf(token);
    if (!key) return { ok: false, reason: 'not_found' };
    const [outcome, value] = await takeInvitation.run(this.redis, { keys: { invitation: key.key }, args: { codeHash: this.codeHash(key.orgId, key.secretHash, code), tries: INVITATION_CODE_TRIES } });
    if (outcome === 'wrong') return { ok: false, reason: 'wrong_code', triesLeft: Number(value) };
    if (outcome !== 'ok') return { ok: false, reason: 'not_found' };
    const flat = JSON.parse(value!) as string[];
    const h: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
    const invitation = toInvitation(key.orgId, h);
    return invitation ? { ok: true, invitation } : { ok: false, reason: 'not_found' };
  }

  /** Bound to its invitation: a code copied to another invitation's record does not match. */
  private codeHash(orgId: string, secretHash: string, code: string): string {
    return createHmac('sha256', this.codeKey).update(`${orgId}\n${secretHash}\n${code}`).digest('base64url');
  }
}

function keyOf(token: unknown): { orgId: string; secretHash: string; key: string } | null {
  if (typeof token !== 'string') return null;
  const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const secretHash = hashSecret(m[2]!);
  return { orgId: m[1]!, secretHash, key: keys.invitation(m[1]!, secretHash) };
}

function toInvitation(orgId: string, h: Record<string, string>): Invitation | null {
  if (!h.email) return null;
  return { orgId, name: h.name ?? '', email: h.email, role: h.role === 'admin' ? 'admin' : 'professional', expiresAt: Number(h.expiresAt) };
}
