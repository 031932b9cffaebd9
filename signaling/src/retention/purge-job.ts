import { randomBytes } from 'node:crypto';
import { keys } from '../redis/keys.ts';
import { releaseLock } from './retained-scripts.ts';
import { retentionMsOfFields } from '../organizations/organization-store.ts';
import type { Services } from '../services.ts';
import type { SmsSender } from '../alerts/sms-sender.ts';
import { deleteSentSms } from '../alerts/sent-sms.ts';
import { deletionDue, eraseOrganization } from './organization-deletion.ts';
import { WEBHOOK_DELIVERY_KEEP_MS } from '../webhooks/webhook-store.ts';
import { markRewriteDue, rewriteRedisFilesIfDue } from '../backup/redis-files.ts';

/** What one pass did, for the log and the benchmark. */
export interface PurgeReport {
  organizations: number;
  /** Index members removed (visitors from waiting lists, calls from histories, payments from the list). */
  removed: number;
  /** Round trips to Redis the pass took (erasing closed organizations aside). */
  roundTrips: number;
  /** Card payments settled by the sweep (their visit's own settling never finished). */
  paymentsSettled: number;
  /** Organizations whose contract ended and whose data went in this pass. */
  erasedOrganizations: { orgId: string; keys: number }[];
}

/** What the purge job uses (a restore runs it too, outside the server). */
export type PurgeServices = Pick<Services, 'redis' | 'config' | 'log' | 'consultations' | 'audit' | 'payments' | 'webhooks'>;

/** The time of the last finished pass is kept this long: past it, a purge that never runs shows as never run. */
const PURGE_LAST_SUCCESS_KEEP_MS = 30 * 86_400_000;

/** Organizations per batch of a pass. */
const BATCH = 200;

/**
 * Keys expire by themselves (each gets its TTL when written), but an index (a room's waiting list, a
 * member's call history) cannot expire member by member. Every minute one signaling process (the holder
 * of a lock that expires by itself) removes the members whose time has passed: by score, so the work is
 * the number removed plus one command per index, never a read of everything kept.
 */
export class PurgeJob {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private readonly owner = randomBytes(16).toString('hex');

  constructor(
    private readonly s: PurgeServices,
    /** Deletes Twilio's copies of the SMS sent about visitors once retention has passed (none: no SMS here). */
    private readonly sms: SmsSender | null = null,
  ) {}

  start(): void {
    const every = this.s.config.PURGE_INTERVAL_SECONDS * 1000;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runIfLocked()
        .catch((err: Error) => this.s.log.warn({ err: err.message }, 'purge pass failed'))
        .finally(() => (this.running = undefined));
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass if no other process is running one; null when another holds the lock. */
  async runIfLocked(now = Date.now()): Promise<PurgeReport | null> {
    const lockMs = this.s.config.PURGE_INTERVAL_SECONDS * 1000 * 2;
    const locked = await this.s.redis.set(keys.purgeLock(), this.owner, 'PX', lockMs, 'NX');
    if (locked !== 'OK') return null;
    try {
      const report = await this.runOnce(now);
      // Shared by every process (whichever held the lock), so each one's metrics tell how late purging is.
      await this.s.redis.set(keys.purgeLastSuccess(), String(Date.now()), 'PX', PURGE_LAST_SUCCESS_KEEP_MS);
      if (report.removed) this.s.log.info({ ...report }, 'purge pass');
      // What retention removed (and what erasures removed meanwhile) leaves Redis's files too, within the hour.
      if (report.removed || report.erasedOrganizations.length) await markRewriteDue(this.s.redis.multi(), now).exec();
      await rewriteRedisFilesIfDue(this.s.redis, this.s.log, this.s.config.REDIS_FILES_REWRITE_MIN_SECONDS);
      return report;
    } finally {
      await releaseLock.run(this.s.redis, { keys: { lock: keys.purgeLock() }, args: { holder: this.owner } });
    }
  }

  /**
   * One pass over every organization (the lock is the caller's business), in batches: each batch is three
   * round trips whatever its size (the organizations' retention and indexes; the removals; the audit logs'
   * trims), so a pass costs a few round trips per hundred organizations and Redis work per item removed.
   */
  async runOnce(now = Date.now()): Promise<PurgeReport> {
    const { redis } = this.s;
    const report: PurgeReport = { organizations: 0, removed: 0, roundTrips: 1, paymentsSettled: 0, erasedOrganizations: [] };
    const orgIds = await redis.smembers(keys.organizations());
    for (let i = 0; i < orgIds.length; i += BATCH) {
      const batch = orgIds.slice(i, i + BATCH);
      const reads = redis.pipeline();
      for (const orgId of batch) reads.hmget(keys.organization(orgId), 'retentionMs', 'retentionDays', 'deletedAt').smembers(keys.rooms(orgId)).smembers(keys.professionals(orgId));
      const read = ((await reads.exec()) ?? []).map(([, value]) => value);
      report.roundTrips++;
      const removals = redis.pipeline();
      const closed: string[] = [];
      /** Organizations with their retention, for the consultations' reference indexes below. */
      const retained: { orgId: string; cutoff: number }[] = [];
      batch.forEach((orgId, n) => {
        const [org, rooms, pros] = [read[3 * n] as (string | null)[], read[3 * n + 1] as string[], read[3 * n + 2] as string[]];
        // An organization whose contract ended, past its grace period: everything goes (but bookkeeping).
        if (deletionDue(org[2] ? Number(org[2]) : null, this.s.config.ORGANIZATION_DELETION_DAYS, now)) return void closed.push(orgId);
        const retention = retentionMsOfFields(org[0], org[1]);
        if (!retention) return;
        report.organizations++;
        const before = `(${now - retention}`;
        for (const roomId of rooms) removals.zremrangebyscore(keys.waiting(orgId, roomId), '-inf', before);
        for (const proId of pros) removals.zremrangebyscore(keys.history(orgId, proId), '-inf', before).zremrangebyscore(keys.callInvitations(orgId, proId), '-inf', before);
        removals.zremrangebyscore(keys.unsettledPayments(orgId), '-inf', before);
        removals.zremrangebyscore(keys.visitors(orgId), '-inf', before);
        // Webhook deliveries are listed 30 days, or the retention if shorter (each delivery expires so too).
        removals.zremrangebyscore(keys.webhookDeliveries(orgId), '-inf', `(${now - Math.min(retention, WEBHOOK_DELIVERY_KEEP_MS)}`);
        // E-mails sent or tried, by when they were queued (each record expires so too).
        removals.zremrangebyscore(keys.emails(orgId), '-inf', before);
        // Consultations are scored by their time (scheduled, else created), from which their retention counts.
        removals.zremrangebyscore(keys.consultations(orgId), '-inf', before);
        // Reminders are due before their consultation's time: any entry that old is of one gone.
        removals.zremrangebyscore(keys.reminders(orgId), '-inf', before);
        removals.zrangebyscore(keys.consultationReferences(orgId), '-inf', before, 'LIMIT', 0, 100);
        // So are the invitee indexes (who was invited by which number or address).
        removals.zrangebyscore(keys.invitees(orgId), '-inf', before, 'LIMIT', 0, 100);
        retained.push({ orgId, cutoff: now - retention });
        // The payments list is scored by when each bookkeeping record expires.
        removals.zremrangebyscore(keys.transactions(orgId), '-inf', now);
      });
      const removed = (await removals.exec()) ?? [];
      const dueReferences = new Map<string, string[]>();
      const dueInvitees = new Map<string, string[]>();
      for (const [, value] of removed) {
        if (Array.isArray(value)) continue;
        report.removed += Number(value) || 0;
      }
      // The references and invitees whose oldest consultation is past retention (answered in the same
      // round trip), two lists per organization in that order.
      removed.filter(([, value]) => Array.isArray(value)).forEach(([, value], n) => {
        if ((value as string[]).length) (n % 2 ? dueInvitees : dueReferences).set(retained[Math.floor(n / 2)]!.orgId, value as string[]);
      });
      report.roundTrips++;
      for (const { orgId, cutoff } of retained) {
        const due = dueReferences.get(orgId);
        if (due) report.removed += await this.s.consultations.trimReferences(orgId, due, cutoff);
        const invitees = dueInvitees.get(orgId);
        if (invitees) report.removed += await this.s.consultations.trimInvitees(orgId, invitees, cutoff);
      }
      // SMS sent about visitors whose retention passed: one read for the batch, then Twilio for those due.
      if (this.sms && retained.length) {
        const reads = this.s.redis.pipeline();
        for (const { orgId, cutoff } of retained) reads.zrangebyscore(keys.sentSms(orgId), '-inf', `(${cutoff}`, 'LIMIT', 0, 100);
        const dueSms = (await reads.exec()) ?? [];
        report.roundTrips++;
        for (const [n, [, sids]] of dueSms.entries()) {
          if ((sids as string[]).length) report.removed += await deleteSentSms(this.s.redis, this.sms, retained[n]!.orgId, sids as string[]);
        }
      }
      // The audit log has a retention of its own (a year by default), trimmed with a checkpoint.
      const trimmed = await Promise.all(batch.filter((orgId) => !closed.includes(orgId)).map((orgId) => this.s.audit.trim(orgId, now)));
      report.removed += trimmed.reduce((a, b) => a + b, 0);
      report.roundTrips++;
      // Card holds a dead process never settled (the visit ended, the check-in was abandoned).
      const open = batch.filter((orgId) => !closed.includes(orgId));
      if (this.s.payments.available) report.paymentsSettled += (await Promise.all(open.map((orgId) => this.s.payments.sweepUnsettled(orgId, now)))).reduce((a, b) => a + b, 0);
      for (const orgId of closed) report.erasedOrganizations.push({ orgId, keys: await eraseOrganization(this.s, orgId) });
    }
    return report;
  }
}
