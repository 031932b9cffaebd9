import { z } from 'zod';
import { id } from './common.ts';

/*
 * The organization's audit log: who did what to which record, never what the record says. An entry names
 * people and things by opaque ids only; the dashboard shows members' names from the member list.
 */

/** Everything the audit log records; the one list of them (server, dashboard and exports use it). */
export const AUDIT_ACTIONS = [
  'login',
  'logout',
  'login_failed',
  'admit',
  'deny',
  'transfer',
  'send_back',
  'call_start',
  'call_end',
  'view_visitor',
  /** A visitor's national identity number was shown to a professional (need to know). */
  'view_identity',
  'view_history',
  'export',
  'correction',
  'erasure',
  'settings_change',
  'member_change',
  'api_key_change',
  /** A webhook endpoint created, changed, its secret rotated, or deleted (the change in the detail). */
  'webhook_change',
  /** An admin sent a webhook delivery again. */
  'webhook_resend',
  'refund',
  'address_decrypted',
  'operator_command',
  /**
   * A key rotation moved the client addresses of older entries out of the log into copies under the new
   * key; the detail holds how many and a digest of them, which binds them into the chain.
   */
  'audit_addresses_resealed',
] as const;
export const auditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof auditAction>;

/** How a member logged in (the `method` of a login entry). */
export const LOGIN_METHODS = ['password_totp', 'bankid', 'single_use_link'] as const;
export type LoginMethod = (typeof LOGIN_METHODS)[number];

/** Who acted: a member (their id), an operator at the server's command line, or the service itself. */
export const auditActor = z.union([id, z.enum(['operator', 'system'])]);
export type AuditActor = z.infer<typeof auditActor>;

/** An entry's id: its place in the organization's stream (`<ms>-<seq>`), which also says when it was written. */
export const auditEntryId = z.string().regex(/^\d{1,15}-\d{1,10}$/);

/** What an entry may point at: one of our ids, or another entry (a decrypted address). */
export const auditTarget = z.union([id, auditEntryId]);

/** How long the audit log is kept (days): 30..3650, a year unless the organization chooses otherwise. */
export const AUDIT_RETENTION_MIN_DAYS = 30;
export const AUDIT_RETENTION_MAX_DAYS = 3650;
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
export const auditRetentionDays = z.number().int().min(AUDIT_RETENTION_MIN_DAYS).max(AUDIT_RETENTION_MAX_DAYS);

/** A point in time in a query string: ms since the epoch. */
const msQuery = z
  .string()
  .regex(/^\d{1,15}$/, { error: 'expected milliseconds since 1970' })
  .transform(Number);

const auditFilters = {
  actor: auditActor.optional(),
  action: auditAction.optional(),
  /** From this time (inclusive), to this time (exclusive). */
  from: msQuery.optional(),
  to: msQuery.optional(),
};
const fromBeforeTo = (q: { from?: number; to?: number }) => q.from === undefined || q.to === undefined || q.from < q.to;

/** GET /api/admin/audit: newest first, a page at a time (`cursor`: the last id of the page before). */
export const auditListQuery = z
  .strictObject({
    ...auditFilters,
    cursor: auditEntryId.optional(),
    limit: z
      .string()
      .regex(/^\d{1,3}$/)
      .transform(Number)
      .pipe(z.number().int().min(1).max(200))
      .optional(),
  })
  .refine(fromBeforeTo, { error: 'from must be before to', path: ['from'] });
export type AuditListQuery = z.input<typeof auditListQuery>;

export const AUDIT_EXPORT_FORMATS = ['csv', 'json'] as const;
/** GET /api/admin/audit/export: every entry matching the filters, oldest first, as a file. */
export const auditExportQuery = z
  .strictObject({ ...auditFilters, format: z.enum(AUDIT_EXPORT_FORMATS) })
  .refine(fromBeforeTo, { error: 'from must be before to', path: ['from'] });
export type AuditExportQuery = z.input<typeof auditExportQuery>;

/** Small non-personal values only (a login method, a setting's name, an id). */
export type AuditDetail = Record<string, string | number | boolean>;

export interface AuditEntryView {
  id: string;
  /** When it was written (ms since the epoch). */
  at: number;
  actor: AuditActor;
  action: AuditAction;
  targetId: string | null;
  /** The hash of the actor's login session (never the session's secret). */
  sessionHash: string | null;
  /** An encrypted client address is kept: an admin may reveal it (and that is audited in turn). */
  hasAddress: boolean;
  detail: AuditDetail;
}

export interface AuditListResponse {
  entries: AuditEntryView[];
  /** Pass as `cursor` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

/** POST /api/admin/audit/entries/:id/address */
export interface AuditAddress {
  address: string;
}

/** The chain's head as written outside Redis once a day, for admins to keep a copy of. */
export interface AuditAnchorView {
  entryId: string;
  hash: string;
  at: number;
}

/** GET /api/admin/audit/settings */
export interface AuditSettings {
  auditRetentionDays: number;
  /** This server writes the chain's head to a file outside Redis every day. */
  anchoring: boolean;
  /** The most recent anchors of this organization, newest first. */
  anchors: AuditAnchorView[];
}

/** PATCH /api/admin/audit/settings */
export const auditSettingsUpdate = z.strictObject({ auditRetentionDays });
