import fs from 'node:fs';
import path from 'node:path';
import { eraseVisitorRecords } from '../data-rights/visitor-records.ts';
import { foldCommaLists } from '../lifecycle/comma-lists-to-sets.ts';
import { eraseInviteeRecords } from '../data-rights/invitee-records.ts';
import { keys, kindOfKey } from '../redis/keys.ts';
import { changeRetention } from '../retention/retention-change.ts';
import type { Services } from '../services.ts';
import { eraseOrganization } from '../retention/organization-deletion.ts';
import { PurgeJob, type PurgeServices } from '../retention/purge-job.ts';
import { backupsAfter, BackupError, openSnapshot, type BackupKey, type Snapshot } from './backup.ts';
import { ErasureLedger, type RetentionShortening } from './erasure-ledger.ts';

export interface RestoreReport {
  restored: number;
  /** Keys whose retention passed since the snapshot: not loaded. */
  expired: number;
  erasedVisitors: number;
  /** People invited by a number or address, erased of it since the backup. */
  erasedInvitees: number;
  erasedOrganizations: number;
  /** Organizations whose retention was shortened since the snapshot: shortened again. */
  shortenedRetentions: number;
  /** Index members the purge pass removed (retention passed since the snapshot). */
  purged: number;
  /** Newer backups whose erasure ledgers could not be read (another key, damaged): named for the operator. */
  unreadLedgers: string[];
}

/** RESTOREs per round trip. */
const BATCH = 500;

/**
 * `npm run restore -- <file>`: replaces what Redis holds with a backup, then erases again whatever was erased
 * since it was taken, and lets retention catch up. The file is opened and checked whole before anything
 * is touched, so another key's backup or a damaged one is refused with the running data as it was.
 *
 * What was erased since comes from the erasure ledger: the running Redis's (read before it is replaced),
 * the snapshot's own, and those of the newer backups beside it (if Redis itself was lost, the newest backup
 * still knows the erasures before it). Retention needs no ledger: keys come back with their original
 * expiry (RESTORE ... ABSTTL), those whose time passed do not come back at all, a retention an admin
 * shortened since is shortened again (the ledger keeps those too), and a purge pass trims the indexes. Last, Redis rewrites its AOF and snapshot, which the loading had filled with the erased data.
 */
export type RestoreServices = PurgeServices & Pick<Services, 'organizations'>;

export async function restoreBackup(
  s: RestoreServices,
  opts: { file: string; key: BackupKey; replace: boolean; now?: number },
): Promise<RestoreReport> {
  const { redis } = s;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(opts.file);
  } catch (err) {
    throw new BackupError(`cannot read ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const snapshot = openSnapshot(bytes, opts.key);
  if (!opts.replace && (await redis.dbsize()) > 0) {
    throw new BackupError('Redis holds data already; stop the service, and run again with --replace to replace it with the backup');
  }
  const ledger = new Map<string, number>(snapshot.ledger);
  const keep = (entries: Iterable<[string, number]>) => {
    for (const [entry, at] of entries) ledger.set(entry, Math.max(at, ledger.get(entry) ?? 0));
  };
  keep(await ErasureLedger.read(redis));
  const shortenings = new Map<string, RetentionShortening>();
  const keepShortenings = (found: RetentionShortening[]) => {
    for (const change of found) if (change.at > (shortenings.get(change.orgId)?.at ?? 0)) shortenings.set(change.orgId, change);
  };
  keepShortenings(snapshot.shortenings);
  keepShortenings(await ErasureLedger.readShortenings(redis));
  const unreadLedgers: string[] = [];
  for (const newer of backupsAfter(path.dirname(path.resolve(opts.file)), snapshot.createdAt)) {
    try {
      const later = openSnapshot(fs.readFileSync(newer), opts.key);
      keep(later.ledger);
      keepShortenings(later.shortenings);
    } catch {
      unreadLedgers.push(path.basename(newer));
    }
  }

  const now = opts.now ?? Date.now();
  const report: RestoreReport = { restored: 0, expired: 0, erasedVisitors: 0, erasedInvitees: 0, erasedOrganizations: 0, shortenedRetentions: 0, purged: 0, unreadLedgers };
  await redis.flushdb();
  await load(s, snapshot, now, report);
  // A backup from before the ids were sets: moved over first, so the erasures below find every id.
  await foldCommaLists(redis);
  const erasures = new ErasureLedger(s.config.ADDRESS_HASH_KEY, s.config.BACKUP_KEEP_DAYS);
  await erasures.merge(redis, ledger, now);

  for (const [key] of snapshot.keys) {
    const kind = kindOfKey(key);
    if (kind?.kind === 'org' && ledger.has(erasures.organizationEntry(kind.orgId))) {
      await eraseOrganization(s, kind.orgId, now);
      report.erasedOrganizations++;
    }
  }
  for (const [key] of snapshot.keys) {
    const kind = kindOfKey(key);
    const visitorId = kind?.kind === 'visitor' ? key.split(':').at(-1)! : null;
    if (kind && visitorId && ledger.has(erasures.visitorEntry(kind.orgId, visitorId)) && (await redis.exists(key))) {
      await eraseVisitorRecords(s, kind.orgId, visitorId, now);
      report.erasedVisitors++;
    }
  }
  for (const [key] of snapshot.keys) {
    const kind = kindOfKey(key);
    const inviteeId = kind?.kind === 'invitee' ? key.split(':').at(-1)! : null;
    if (kind && inviteeId && ledger.has(erasures.inviteeEntry(kind.orgId, inviteeId)) && (await redis.exists(key))) {
      await eraseInviteeRecords(s, kind.orgId, inviteeId, now);
      report.erasedInvitees++;
    }
  }
  for (const change of shortenings.values()) {
    const tx = redis.multi();
    erasures.recordShortening(tx, change.orgId, change.retention, change.at);
    await tx.exec();
    if (change.at <= snapshot.createdAt || !(await redis.exists(keys.organization(change.orgId)))) continue;
    const { lowered, deleted } = await changeRetention(s, change.orgId, change.retention, change.at);
    if (lowered || deleted) report.shortenedRetentions++;
  }
  report.purged = (await new PurgeJob(s).runOnce(now)).removed;
  await rewriteNow(s);
  return report;
}

async function load(s: RestoreServices, snapshot: Snapshot, now: number, report: RestoreReport): Promise<void> {
  for (let i = 0; i < snapshot.keys.length; i += BATCH) {
    const writes = s.redis.pipeline();
    let queued = 0;
    for (const [key, expireAt, dump] of snapshot.keys.slice(i, i + BATCH)) {
      if (expireAt && expireAt <= now + 1000) {
        report.expired++;
        continue;
      }
      writes.restore(key, expireAt, Buffer.from(dump, 'base64'), 'REPLACE', 'ABSTTL');
      queued++;
    }
    if (!queued) continue;
    for (const [error] of (await writes.exec()) ?? []) {
      // A payload this Redis cannot read (an older Redis than the one backed up): stop, and say so.
      if (error) throw new BackupError(`Redis refused a key of the backup (${error.message}); is this Redis older than the one backed up? The database is partly loaded: restore again on a matching Redis`);
    }
    report.restored += queued;
  }
}

/** Loading wrote the erased visitors into the AOF; it is rewritten at once, not at the next purge pass. */
async function rewriteNow(s: RestoreServices): Promise<void> {
  const results = await Promise.allSettled([s.redis.call('BGREWRITEAOF'), s.redis.call('BGSAVE', 'SCHEDULE')]);
  for (const r of results) if (r.status === 'rejected') s.log.warn({ err: (r.reason as Error).message }, 'restore: could not rewrite Redis’s files; they are rewritten at the next purge pass');
}
