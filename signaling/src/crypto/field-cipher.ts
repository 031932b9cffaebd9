import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/*
 * Personal fields at rest (a national identity number, a broker's client secret) are AES-256-GCM
 * ciphertext in Redis, so a copy of the data set (a backup, a replica, a dump) does not give them away.
 * The keys live only in the environment. The stored form names its key, so keys can rotate: the first key
 * encrypts, every listed key decrypts; once old values have expired or been rewritten, the old key goes.
 *
 * The additional authenticated data binds a value to where it is stored (`context`, e.g. the visitor and
 * the field): a ciphertext copied to another visitor or another field does not decrypt.
 */

const VERSION = 'f1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export interface FieldKey {
  id: string;
  key: Buffer;
}

/** Why a stored value could not be read; the message never contains the value. */
export class FieldCipherError extends Error {}

/**
 * Parses `DATA_ENCRYPTION_KEYS`: `<keyId>:<base64 of 32 bytes>[,<keyId>:<key>...]`. Throws (with the key id
 * at most, never the key) on anything malformed, so a bad setting stops the server at start.
 */
export function parseFieldKeys(value: string): FieldKey[] {
  const parts = value.split(',').map((p) => p.trim()).filter(Boolean);
  if (!parts.length) throw new Error('no keys given');
  const seen = new Set<string>();
  return parts.map((part, i) => {
    const colon = part.indexOf(':');
    const id = colon > 0 ? part.slice(0, colon) : '';
    if (!KEY_ID.test(id)) throw new Error(`key ${i + 1}: expected <keyId>:<base64 key>, keyId of letters, digits, - and _`);
    if (seen.has(id)) throw new Error(`key ${id}: listed twice`);
    seen.add(id);
    const b64 = part.slice(colon + 1);
    const key = Buffer.from(b64, 'base64');
    if (!/^[A-Za-z0-9+/_-]+=*$/.test(b64) || key.length !== 32) throw new Error(`key ${id}: must be 32 bytes, base64`);
    return { id, key };
  });
}

export class FieldCipher {
  private readonly byId: Map<string, Buffer>;
  private readonly current: FieldKey;

  constructor(keys: FieldKey[]) {
    if (!keys.length) throw new Error('FieldCipher needs at least one key');
    this.current = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** From the environment's value (checked by the configuration already). */
  static fromSetting(value: string): FieldCipher {
    return new FieldCipher(parseFieldKeys(value));
  }

  /** `f1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts). */
  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(aadOf(this.current.id, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.current.id, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
  }

  /** The plaintext, or FieldCipherError if the value is malformed, its key is gone, or it was changed or moved. */
  decrypt(stored: string, context: string): string {
    const parts = stored.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new FieldCipherError('not a stored field');
    const [, keyId, ivPart, ctPart, tagPart] = parts as [string, string, string, string, string];
    const key = this.byId.get(keyId);
    if (!key) throw new FieldCipherError(`no key ${KEY_ID.test(keyId) ? keyId : '(malformed)'} in DATA_ENCRYPTION_KEYS`);
    const iv = Buffer.from(ivPart, 'base64url');
    const tag = Buffer.from(tagPart, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new FieldCipherError('not a stored field');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aadOf(keyId, context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ctPart, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new FieldCipherError('stored field does not authenticate (changed, or stored elsewhere)');
    }
  }

  /**
   * The plaintext of a stored value, or null when there is none or it cannot be read (its key is gone, it
   * was changed, or it was copied from another place): what every reader does with a field it only shows.
   */
  open(stored: string | null | undefined, context: string): string | null {
    if (!stored) return null;
    try {
      return this.decrypt(stored, context);
    } catch {
      return null;
    }
  }

  /** The id of the key new values are sealed under (the first listed). */
  get currentKeyId(): string {
    return this.current.id;
  }

  /** Whether a stored value was encrypted with a key other than the current one (to rewrite it). */
  needsRewrap(stored: string): boolean {
    return stored.split('.')[1] !== this.current.id;
  }
}

// The key id is authenticated too, so a value cannot be relabelled to another key.
const aadOf = (keyId: string, context: string) => Buffer.from(`${VERSION}\n${keyId}\n${context}`, 'utf8');

/** Where a field is stored, as the additional authenticated data: the same words everywhere it is used. */
export const fieldContext = {
  /** A personal field of a visitor's record: their name, answers, verified identity, a message to them. */
  visitorField: (orgId: string, visitorId: string, field: string) => `visitor:${orgId}:${visitorId}:${field}`,
  /** What a professional wrote as an access code's label (it becomes a pseudonymous visitor's name). */
  accessCodeLabel: (orgId: string, codeHash: string) => `access-code:${orgId}:${codeHash}:label`,
  professionalField: (orgId: string, proId: string, field: string) => `professional:${orgId}:${proId}:${field}`,
  visitorNationalId: (orgId: string, visitorId: string) => `visitor:${orgId}:${visitorId}:nationalId`,
  bankIdClientSecret: (orgId: string) => `organization:${orgId}:bankid:clientSecret`,
  /** A consultation's personal fields: the EHR's external reference, the visitor's prefilled name and phone. */
  consultationField: (orgId: string, consultationId: string, field: string) => `consultation:${orgId}:${consultationId}:${field}`,
  /** A webhook endpoint's signing secret (`secret`, or `previousSecret` during a rotation's overlap). */
  webhookSecret: (orgId: string, endpointId: string, field: 'secret' | 'previousSecret') => `webhook:${orgId}:${endpointId}:${field}`,
  /** A consultation event's body (it holds the EHR's reference): in the outbox, then in each delivery. */
  webhookBody: (orgId: string, where: 'event' | 'delivery', id: string) => `webhook-${where}:${orgId}:${id}:body`,
  /** An e-mail waiting to go or sent (its address, its link, its language): the whole message, one field. */
  emailBody: (orgId: string, messageId: string) => `email:${orgId}:${messageId}:body`,
};
