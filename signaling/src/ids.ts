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
