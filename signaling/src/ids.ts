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
