import { z } from 'zod';
import { auditAction, auditActor, auditTarget, id, type AuditAction, type AuditDetail, type AuditEntryView } from '../../protocol/index.ts';

/**
 * What a feature hands to `s.audit.record`. Checked at the door like any input: an entry holds ids, names
 * of settings and methods, small numbers; never a name, a phone number, an e-mail address or free text.
 */
export interface AuditRecord {
  orgId: string;
  /** A professional's id, `operator` (a command at the server) or `system` (the service itself). */
  actor: string;
  action: AuditAction;
  targetId?: string;
  /** The hash of the actor's login session (Session.sessionHash), never the cookie's secret. */
  sessionHash?: string;
  /**
   * The client's address: sealed with the field cipher beside the log, the entry holding a commitment to it
   * (audit-addresses.ts); not kept at all without a key.
   */
  address?: string;
  detail?: AuditDetail;
}

/**
 * A detail's text: letters, digits and `_ . : , -` (setting names, methods, ids). No spaces (names), no
 * `@` (e-mail addresses), no `+` and no run of 7 digits unless it is one of our ids or a SHA-256 digest in
 * hex (a key rotation's digest of the addresses it re-sealed), which no phone number is.
 */
const sha256Hex = /^[0-9a-f]{64}$/;
const detailText = z
  .string()
  .regex(/^[A-Za-z0-9_.:,-]{1,100}$/)
  .refine((v) => id.safeParse(v).success || sha256Hex.test(v) || !/\d{7}/.test(v), { error: 'looks like a phone number' });
const detailValue = z.union([detailText, z.number().int().min(-9_999_999).max(9_999_999), z.boolean()]);
const detail = z
  .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,31}$/), detailValue)
  .refine((d) => Object.keys(d).length <= 8, { error: 'at most 8 details' });

export const auditRecord = z.strictObject({
  orgId: id,
  actor: auditActor,
  action: auditAction,
  targetId: auditTarget.optional(),
  sessionHash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  address: z.string().max(100).optional(),
  detail: detail.optional(),
});

/** The stream fields of an entry (ioredis' flat [name, value, ...] form) as the dashboard sees them. */
export function entryView(entryId: string, flat: string[]): AuditEntryView {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) f.set(flat[i]!, flat[i + 1]!);
  let parsedDetail: AuditDetail = {};
  try {
    const d: unknown = JSON.parse(f.get('detail') ?? '{}');
    if (d && typeof d === 'object' && !Array.isArray(d)) parsedDetail = d as AuditDetail;
  } catch {
    // An entry edited into something unreadable still lists; audit:verify says what happened to it.
  }
  return {
    id: entryId,
    at: Number(entryId.split('-')[0]),
    actor: (f.get('actor') ?? '') as AuditEntryView['actor'],
    action: (f.get('action') ?? '') as AuditAction,
    targetId: f.get('target') || null,
    sessionHash: f.get('session') || null,
    hasAddress: !!f.get('addr'),
    detail: parsedDetail,
  };
}

/** Orders stream ids (`<ms>-<seq>`) as Redis does. */
export function compareEntryIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}
