import { kindOfKey } from '../redis/keys.ts';
import { fieldContext } from './field-cipher.ts';

/*
 * Where sealed fields live, for whoever must find every one of them without knowing the feature that wrote
 * it: key rotation (re-sealing each under the new key), and the tests that scan a whole data set. A sealed
 * value is bound to its place (its context), so rotation must rebuild that context from the key and field
 * alone; a place not listed here cannot be re-sealed, and rotation reports it instead of guessing.
 */

/** The stored form of a sealed value (`f1.<keyId>.<iv>.<ciphertext>.<tag>`, see field-cipher.ts). */
const SEALED = /^f1\.([A-Za-z0-9_-]{1,32})\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;

/** The key id a stored value is sealed under, or null when it is not a sealed value. */
export function sealedKeyId(value: string): string | null {
  return SEALED.exec(value)?.[1] ?? null;
}

/**
 * The context a sealed value in field `field` of the hash at `key` was sealed with, or null when no feature
 * seals a value there. `hash` is the rest of the hash (a session's setup secret is bound to its member).
 */
export function contextOfHashField(key: string, field: string, hash: Readonly<Record<string, string>>): string | null {
  const where = kindOfKey(key);
  if (!where) return null;
  const { orgId, kind } = where;
  const id = key.slice(`{org:${orgId}}:${kind}:`.length);
  const hasId = key.startsWith(`{org:${orgId}}:${kind}:`) && id.length > 0;
  switch (kind) {
    case 'visitor':
      return hasId ? fieldContext.visitorField(orgId, id, field) : null;
    case 'pro':
      return hasId ? fieldContext.professionalField(orgId, id, field) : null;
    case 'consultation':
      return hasId ? fieldContext.consultationField(orgId, id, field) : null;
    case 'bankid':
      return key === `{org:${orgId}}:bankid` && field === 'clientSecret' ? fieldContext.bankIdClientSecret(orgId) : null;
    case 'webhook':
      return hasId && (field === 'secret' || field === 'previousSecret') ? fieldContext.webhookSecret(orgId, id, field) : null;
    case 'webhook-delivery':
      return hasId && field === 'body' ? fieldContext.webhookBody(orgId, 'delivery', id) : null;
    case 'email':
      return hasId && field === 'body' ? fieldContext.emailBody(orgId, id) : null;
    case 'access-code':
      return hasId && field === 'label' ? fieldContext.accessCodeLabel(orgId, key) : null;
    case 'session':
      // The second factor being set up, bound to the session and its member (SecondFactorStore.sealSetup).
      return hasId && field === 'setupSecret' && hash.professionalId
        ? fieldContext.professionalField(orgId, hash.professionalId, `totpSetup:${id}`)
        : null;
    case 'audit-addresses':
      // Under a commitment (`c1:...`) or an entry's id (an address a key rotation moved out of the stream).
      return key === `{org:${orgId}}:audit-addresses` && /^(c1:[0-9a-f]{64}|\d{1,15}-\d{1,10})$/.test(field) ? auditAddressCopyContext(orgId, field) : null;
    default:
      return null;
  }
}

/** The context of an audit entry's client address as entries held it before commitments (sealed in the stream). */
export const auditAddressContext = (orgId: string) => `audit:${orgId}:address`;

/** The context of an audit address's sealed copy: its organization and its place in the addresses hash. */
export const auditAddressCopyContext = (orgId: string, field: string) => `audit-address:${orgId}:${field}`;
