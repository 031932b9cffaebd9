import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BankIdSettingsUpdate } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { fieldContext, type FieldCipher } from '../crypto/field-cipher.ts';

/** An organization's broker as the flow uses it (the secret decrypted, in memory only). */
export interface BankIdSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  acrValues: string[];
  collectNationalId: boolean;
  memberLogin: boolean;
  /**
   * Names this exact broker setup (issuer, client, secret): a login started under one setup is not finished
   * under another, and the discovery cache is kept per setup.
   */
  fingerprint: string;
}

/** Per organization, kept until an admin removes it; the client secret only as field-cipher ciphertext. */
export class BankIdSettingsStore {
  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
  ) {}

  /** The settings, or null if none are set (or this server cannot read them: no or other keys). */
  async get(orgId: string): Promise<BankIdSettings | null> {
    const h = await this.redis.hgetall(keys.bankIdSettings(orgId));
    if (!h.issuer || !h.clientSecret) return null;
    const clientSecret = this.cipher.open(h.clientSecret, fieldContext.bankIdClientSecret(orgId));
    if (clientSecret === null) return null;
    const settings = {
      issuer: h.issuer,
      clientId: h.clientId ?? '',
      clientSecret,
      acrValues: JSON.parse(h.acrValues ?? '[]') as string[],
      collectNationalId: h.collectNationalId === '1',
      memberLogin: h.memberLogin === '1',
    };
    return { ...settings, fingerprint: fingerprintOf(orgId, settings) };
  }

  /** Whether a client secret is stored (so an update may leave it out). */
  async hasSecret(orgId: string): Promise<boolean> {
    return (await this.redis.hexists(keys.bankIdSettings(orgId), 'clientSecret')) === 1;
  }

  async set(orgId: string, update: BankIdSettingsUpdate & { clientSecret: string }): Promise<void> {
    await this.redis.hset(keys.bankIdSettings(orgId), {
      issuer: update.issuer,
      clientId: update.clientId,
      clientSecret: this.cipher.encrypt(update.clientSecret, fieldContext.bankIdClientSecret(orgId)),
      acrValues: JSON.stringify(update.acrValues),
      collectNationalId: update.collectNationalId ? '1' : '0',
      memberLogin: update.memberLogin ? '1' : '0',
      updatedAt: Date.now(),
    });
  }

  async remove(orgId: string): Promise<void> {
    await this.redis.del(keys.bankIdSettings(orgId));
  }
}

function fingerprintOf(orgId: string, s: Pick<BankIdSettings, 'issuer' | 'clientId' | 'clientSecret'>): string {
  return createHash('sha256').update(JSON.stringify([orgId, s.issuer, s.clientId, s.clientSecret])).digest('base64url');
}
