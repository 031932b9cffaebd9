import { randomBytes } from 'node:crypto';
import { keys } from '../redis/keys.ts';
import { runScript } from '../redis/scripts.ts';
import { retentionMsOf } from '../organizations/organization-store.ts';
import type { Services } from '../services.ts';

/** What one pass did, for the log and the benchmark. */
export interface PurgeReport {
  organizations: number;
  /** Index members removed (visitors from waiting lists, calls from histories, payments from the list). */
  removed: number;
  /** Redis commands sent, and the round trips they took. */
  commands: number;
  roundTrips: number;
}

/**
 * Keys expire by themselves (each gets its TTL when written), but an index (a room's waiting list, a
 * member's call history) cannot expire member by member. Every minute one signaling process (the holder
 * of a lock that expires by itself) removes the members whose time has passed: by score, so the work is
 * the number removed plus one command per index, never a read of everything kept. Two round trips per
 * organization: its retention and indexes, then the removals.
 */
export class PurgeJob {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private readonly owner = randomBytes(16).toString('hex');

  constructor(private readonly s: Services) {}

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
      if (report.removed) this.s.log.info({ ...report }, 'purge pass');
      return report;
    } finally {
      await runScript(this.s.redis, 'releaseLock', [keys.purgeLock()], [this.owner]);
    }
  }

  /** One pass over every organization (the lock is the caller's business). */
  async runOnce(now = Date.now()): Promise<PurgeReport> {
    const { redis } = this.s;
    const report: PurgeReport = { organizations: 0, removed: 0, commands: 1, roundTrips: 1 };
    const orgIds = await redis.smembers(keys.organizations());
    for (const orgId of orgIds) {
      const [[, org], [, rooms], [, pros]] = (await redis
        .multi()
        .hmget(keys.organization(orgId), 'retentionMs', 'retentionDays')
        .smembers(keys.rooms(orgId))
        .smembers(keys.professionals(orgId))
        .exec()) as [[null, (string | null)[]], [null, string[]], [null, string[]]];
      report.commands += 3;
      report.roundTrips++;
      const retention = retentionMsOf({ retentionMs: Number(org[0]) || Number(org[1]) * 86_400_000 });
      if (!retention) continue;
      const before = `(${now - retention}`;
      const pipeline = redis.pipeline();
      for (const roomId of rooms) pipeline.zremrangebyscore(keys.waiting(orgId, roomId), '-inf', before);
      for (const proId of pros) pipeline.zremrangebyscore(keys.history(orgId, proId), '-inf', before);
      pipeline.zremrangebyscore(keys.visitors(orgId), '-inf', before);
      // The payments list is scored by when each bookkeeping record expires.
      pipeline.zremrangebyscore(keys.transactions(orgId), '-inf', now);
      const results = (await pipeline.exec()) ?? [];
      report.commands += results.length;
      report.roundTrips++;
      report.organizations++;
      for (const [, removed] of results) report.removed += Number(removed) || 0;
      // The audit log has a retention of its own (a year by default), trimmed with a checkpoint.
      report.removed += await this.s.audit.trim(orgId, now);
      report.commands++;
      report.roundTrips++;
    }
    return report;
  }
}
