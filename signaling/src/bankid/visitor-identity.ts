import type { RevealedIdentity, VerifiedIdentity } from '../../protocol/index.ts';
import type { AuditActorContext } from '../audit/audit-context.ts';
import { AppError, notFound } from '../errors.ts';
import { fieldContext, type FieldCipher } from '../crypto/field-cipher.ts';
import { keys } from '../redis/keys.ts';
import { defineScript, oneOf } from '../redis/lua-script.ts';
import type { Services } from '../services.ts';

/*
 * A visitor's identity verified with BankID lives in the visitor's own hash (and so goes with its TTL):
 * `bankId` = JSON {name, birthDate, verifiedAt} (encrypted, bound to this visitor), and, where the organization collects it, `nationalId` =
 * field-cipher ciphertext bound to this visitor.
 */

interface StoredIdentity {
  name: string;
  birthDate: string;
  verifiedAt: number;
}

function storedIdentityOf(cipher: FieldCipher, orgId: string, fields: Record<string, string | undefined>): StoredIdentity | undefined {
  if (!fields.bankId) return undefined;
  try {
    const v = JSON.parse(cipher.decrypt(fields.bankId, fieldContext.visitorField(orgId, fields.visitorId ?? '', 'bankId'))) as Partial<StoredIdentity>;
    if (typeof v.name === 'string' && typeof v.birthDate === 'string' && typeof v.verifiedAt === 'number') return { name: v.name, birthDate: v.birthDate, verifiedAt: v.verifiedAt };
  } catch {
    // a record we cannot read counts as no identification
  }
  return undefined;
}

/** Whether the visitor (their hash's fields) has identified with BankID: the check-in step's condition. */
export function hasVerifiedIdentity(cipher: FieldCipher, orgId: string, visitorHashFields: Record<string, string | undefined>): boolean {
  return storedIdentityOf(cipher, orgId, visitorHashFields) !== undefined;
}

/**
 * The verified identity for the queue card: the national id only marked as on record, never decrypted
 * here (need to know: it is shown on request to the professional handling the visitor, see
 * readNationalId). `visitorHashFields`: HGETALL of keys.visitor(orgId, visitorId).
 */
export function readVisitorIdentity(s: Pick<Services, 'fieldCipher' | 'log'>, orgId: string, visitorHashFields: Record<string, string | undefined>): VerifiedIdentity | undefined {
  const stored = storedIdentityOf(s.fieldCipher, orgId, visitorHashFields);
  if (!stored) return undefined;
  return { ...stored, ...(visitorHashFields.nationalId ? { hasNationalId: true as const } : {}) };
}

/**
 * The visitor's national id decrypted, or null (none on record, or unreadable: another key, or moved from
 * elsewhere). Only for a showing that is audited (queue:identity) or the visitor's own data export.
 */
export function readNationalId(s: Pick<Services, 'fieldCipher' | 'log'>, orgId: string, visitorHashFields: Record<string, string | undefined>): string | null {
  const visitorId = visitorHashFields.visitorId ?? '';
  const nationalId = s.fieldCipher.open(visitorHashFields.nationalId, fieldContext.visitorNationalId(orgId, visitorId));
  if (visitorHashFields.nationalId && nationalId === null) {
    s.log.warn({ orgId, visitorId, event: 'national_id_unreadable' }, 'a stored national identity number could not be decrypted');
  }
  return nationalId || null;
}

/**
 * A visitor's identity verified with BankID (`identity`, sealed JSON), kept only while they are still
 * checking in (a visitor who left or expired meanwhile gets nothing). The hash keeps its TTL. `nationalId`:
 * field-cipher ciphertext, or '' (then any earlier one goes).
 */
export const storeVerifiedIdentity = defineScript({
  name: 'storeVerifiedIdentity',
  keys: ['visitor'],
  args: ['identity', 'nationalId'],
  lua: (k, a) => `
if redis.call('HGET', ${k.visitor}, 'state') ~= 'checking_in' then return 'not_found' end
redis.call('HSET', ${k.visitor}, 'bankId', ${a.identity})
if ${a.nationalId} ~= '' then redis.call('HSET', ${k.visitor}, 'nationalId', ${a.nationalId}) else redis.call('HDEL', ${k.visitor}, 'nationalId') end
return 'ok'
`,
  parse: oneOf('ok', 'not_found'),
});

/**
 * Stores a verified identity on a visitor who is still checking in ('not_found' otherwise). The national
 * id only when given (the organization collects it); it is encrypted here and bound to this visitor.
 */
export async function storeVisitorIdentity(
  s: Pick<Services, 'fieldCipher' | 'redis'>,
  orgId: string,
  visitorId: string,
  identity: StoredIdentity & { nationalId?: string },
): Promise<'ok' | 'not_found'> {
  const { nationalId, ...shown } = identity;
  const ciphertext = nationalId ? s.fieldCipher.encrypt(nationalId, fieldContext.visitorNationalId(orgId, visitorId)) : '';
  const sealed = s.fieldCipher.encrypt(JSON.stringify(shown), fieldContext.visitorField(orgId, visitorId, 'bankId'));
  return storeVerifiedIdentity.run(s.redis, { keys: { visitor: keys.visitor(orgId, visitorId) }, args: { identity: sealed, nationalId: ciphertext } });
}

/**
 * Shows a visitor's national id to a professional the caller found to be handling them (need to know):
 * the showing is written to the audit log first, and without that entry nothing is shown. None on record
 * looks the same as a visitor the professional may not see.
 */
export async function revealNationalId(
  s: Pick<Services, 'fieldCipher' | 'log' | 'redis' | 'audit'>,
  who: AuditActorContext,
  visitorId: string,
  detail: Record<string, string | boolean>,
): Promise<RevealedIdentity> {
  const nationalId = readNationalId(s, who.orgId, await s.redis.hgetall(keys.visitor(who.orgId, visitorId)));
  if (!nationalId) throw notFound('no such visitor');
  const entry = await s.audit.record({ ...who, action: 'view_identity', targetId: visitorId, detail });
  if (!entry) throw new AppError('audit_unavailable', 'the showing could not be recorded; try again in a moment');
  return { nationalId };
}
