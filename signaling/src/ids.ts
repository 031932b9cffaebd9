import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 128 random bits, hex: ids of organizations, visitors, calls. */
export const newId = (): string => randomBytes(16).toString('hex');

/** 256 random bits, base64url: secrets handed to browsers (session ids, visitor tokens). */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** Secrets are stored only as their hash, so a copy of Redis lets no one resume a visit or a session. */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/**
 * Whether a secret a client sent (a header: absent, a string, or repeated) is `expected`, in time that
 * depends only on their lengths: comparing as `!==` stops at the first different character, which tells a
 * patient attacker how much of a guess was right. Both are hashed first, so lengths differing is no
 * exception and leaks nothing either.
 */
export function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || !expected) return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const TOKEN_PARTS = /^([0-9a-f]{32})\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;

/**
 * The parts of a token handed out as `<organization id>.<id>.<secret>` (visitor tokens, consultation
 * links, API keys after their `prefix`); null for anything else. The organization comes first so the
 * lookup goes to its keys without a search.
 */
export function tokenParts(token: string, prefix = ''): { orgId: string; id: string; secret: string } | null {
  if (!token.startsWith(prefix)) return null;
  const [, orgId, id, secret] = TOKEN_PARTS.exec(token.slice(prefix.length)) ?? [];
  return orgId && id && secret ? { orgId, id, secret } : null;
}
