import type { Redis } from 'ioredis';
import { DEFAULT_AUDIT_RETENTION_DAYS, type AuditEntryView, type AuditListResponse, type AuditAction, type AuditActor } from '../../protocol/index.ts';
import { AppError } from '../errors.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import type { Logger } from '../logger.ts';
import { keys } from '../redis/keys.ts';
import { appendAudit, trimAudit } from './audit-scripts.ts';
import { auditRecord, entryView, type AuditRecord } from './audit-entry.ts';
import { AuditAnchors } from './audit-anchors.ts';
import { addressOf, copyFieldOf, sealAddress } from './audit-addresses.ts';

const DAY_MS = 86_400_000;
/** Entries read from Redis per round trip when listing or exporting. */
const PAGE = 500;
/** At most this many entries are looked at for one page of a filtered list; the cursor goes on from there. */
const SCAN_LIMIT = 5_000;

export interface AuditFilters {
  actor?: AuditActor;
  action?: AuditAction;
  from?: number;
  to?: number;
}

/**
 * Each organization's audit log: an append-only, hash-chained Redis stream (see audit-scripts.ts). Other
 * features call `record`; the purge job calls `trim`; admins read it through audit-routes.ts.
 */
export class AuditLog {
  /** The daily anchors of the chains' heads outside Redis (AUDIT_ANCHOR_FILE); `anchor(orgId)` on demand. */
  readonly anchors: AuditAnchors;

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly fieldCipher: FieldCipher | undefined,
    anchorFile?: string,
  ) {
    this.anchors = new AuditAnchors(redis, log, anchorFile);
  }

  /**
   * Appends an entry (one round trip) and answers its id. It never throws: the action it records has
   * happened, and an audit failure must not undo or hide it from the user. A failure is logged as a warning
   * (organization and action only) and answered as null. Logins use `recordOrRefuse` instead.
   */
  async record(entry: AuditRecord): Promise<string | null> {
    const parsed = auditRecord.safeParse(entry);
    if (!parsed.success) {
      // The path says which field, never its value (which is what must not be stored).
      const where = parsed.error.issues.map((i) => i.path.join('.')).join(',');
      this.log.warn({ orgId: entry.orgId, action: entry.action, refused: where }, 'audit entry refused: not an id or a plain value');
      return null;
    }
    const e = parsed.data;
    try {
      // The entry holds a commitment to the address; the sealed address goes beside the log (audit-addresses.ts).
      const sealed = e.address && this.fieldCipher ? sealAddress(this.fieldCipher, e.orgId, e.address) : null;
      const detail = e.detail && Object.keys(e.detail).length ? JSON.stringify(e.detail) : '';
      return await appendAudit.run(this.redis, {
        keys: { stream: keys.audit(e.orgId), head: keys.auditHead(e.orgId), addresses: keys.auditAddresses(e.orgId) },
        args: { actor: e.actor, action: e.action, target: e.targetId ?? '', session: e.sessionHash ?? '', addr: sealed?.commitment ?? '', detail, addressCopy: sealed?.copy ?? '' },
      });
    } catch (error) {
      this.log.warn({ orgId: e.orgId, action: e.action, err: (error as Error).name }, 'audit entry not written');
      return null;
    }
  }

  /**
   * For logins: the entry is written before the session may do anything, or the login is refused (503
   * audit_unavailable). A login nobody can later account for is worse than one retried a moment later.
   */
  async recordOrRefuse(entry: AuditRecord): Promise<string> {
    const entryId = await this.record(entry);
    if (!entryId) throw new AppError('audit_unavailable', 'the login could not be recorded; try again in a moment');
    return entryId;
  }

  /** Newest first, filtered; at most `limit` entries, and a cursor to the next page while there may be more. */
  async list(orgId: string, filters: AuditFilters & { cursor?: string; limit?: number }): Promise<AuditListResponse> {
    const limit = filters.limit ?? 50;
    const start = filters.from === undefined ? '-' : `${filters.from}-0`;
    let end = filters.cursor ? `(${filters.cursor}` : filters.to === undefined ? '+' : `(${filters.to}-0`;
    const entries: AuditEntryView[] = [];
    let scanned = 0;
    for (;;) {
      const batch = await this.redis.xrevrange(keys.audit(orgId), end, start, 'COUNT', PAGE);
      for (const [entryId, flat] of batch) {
        scanned++;
        const view = entryView(entryId, flat);
        if (matches(view, filters)) entries.push(view);
        if (entries.length === limit) return { entries, nextCursor: entryId };
        end = `(${entryId}`;
      }
      if (batch.length < PAGE) return { entries, nextCursor: null };
      if (scanned >= SCAN_LIMIT) return { entries, nextCursor: end.slice(1) };
    }
  }

  /** Every matching entry, oldest first, a page at a time (for exports). */
  async *each(orgId: string, filters: AuditFilters): AsyncGenerator<AuditEntryView> {
    let start = filters.from === undefined ? '-' : `${filters.from}-0`;
    const end = filters.to === undefined ? '+' : `(${filters.to}-0`;
    for (;;) {
      const batch = await this.redis.xrange(keys.audit(orgId), start, end, 'COUNT', PAGE);
      for (const [entryId, flat] of batch) {
        const view = entryView(entryId, flat);
        if (matches(view, filters)) yield view;
        start = `(${entryId}`;
      }
      if (batch.length < PAGE) return;
    }
  }

  /**
   * The client address kept with an entry, decrypted; null if the entry is unknown, holds none, or it cannot
   * be read here (no key, a key that is gone) or does not hold (its sealed copy does not match the entry).
   */
  async address(orgId: string, entryId: string): Promise<string | null> {
    if (!this.fieldCipher) return null;
    const [found] = await this.redis.xrange(keys.audit(orgId), entryId, entryId);
    const flat = found?.[1] ?? [];
    const i = flat.indexOf('addr');
    const addr = i >= 0 && i % 2 === 0 ? flat[i + 1] : undefined;
    if (!addr) return null;
    const copy = await this.redis.hget(keys.auditAddresses(orgId), copyFieldOf(entryId, addr));
    return addressOf(this.fieldCipher, orgId, entryId, addr, copy);
  }

  async retentionDays(orgId: string): Promise<number> {
    return Number(await this.redis.hget(keys.organization(orgId), 'auditRetentionDays')) || DEFAULT_AUDIT_RETENTION_DAYS;
  }

  async setRetentionDays(orgId: string, days: number): Promise<void> {
    await this.redis.hset(keys.organization(orgId), 'auditRetentionDays', days);
  }

  /**
   * Removes the entries older than the organization's audit retention, keeping a checkpoint (the id and
   * hash of the last one removed) so the rest of the chain still verifies; their sealed addresses go too.
   * For the purge job; answers how many entries went.
   */
  async trim(orgId: string, now = Date.now()): Promise<number> {
    const minId = `${Math.max(0, now - (await this.retentionDays(orgId)) * DAY_MS)}-0`;
    return trimAudit.run(this.redis, { keys: { stream: keys.audit(orgId), checkpoint: keys.auditCheckpoint(orgId), addresses: keys.auditAddresses(orgId) }, args: { minId } });
  }
}

function matches(e: AuditEntryView, f: AuditFilters): boolean {
  return (!f.actor || e.actor === f.actor) && (!f.action || e.action === f.action);
}
