import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

/** Set when something was erased or purged since Redis's files were last rewritten. */
const DUE_KEY = 'redis-files:rewrite-due';
/** Present for REDIS_FILES_REWRITE_MIN_SECONDS after a rewrite: the rate limit, shared by every process. */
const GAP_KEY = 'redis-files:rewrite-gap';

/**
 * Redis's append-only file keeps every write until it is rewritten, and its snapshot (dump.rdb) keeps what
 * was there when it was taken: an erased visitor's name stays readable in those files after the live keys
 * are gone. So after an erasure or a purge, the purge job asks Redis to rewrite the AOF (BGREWRITEAOF:
 * a new file from the live data, the old ones deleted) and replace the snapshot (BGSAVE), at most once per
 * REDIS_FILES_REWRITE_MIN_SECONDS so that a busy clinic does not keep Redis rewriting.
 */
export function markRewriteDue(tx: ChainableCommander, now = Date.now()): ChainableCommander {
  // Kept two days at most: a Redis whose files are never rewritten (the commands refused) must not keep it forever.
  return tx.set(DUE_KEY, now, 'PX', 2 * 86_400_000, 'NX');
}

/** Rewrites Redis's files if an erasure or purge is waiting for it and the rate limit allows; answers whether it did. */
export async function rewriteRedisFilesIfDue(redis: Redis, log: Logger, minGapSeconds: number): Promise<boolean> {
  if (!(await redis.exists(DUE_KEY))) return false;
  if ((await redis.set(GAP_KEY, Date.now(), 'EX', minGapSeconds, 'NX')) !== 'OK') return false;
  await redis.del(DUE_KEY);
  const results = await Promise.allSettled([
    redis.call('BGREWRITEAOF'),
    // SCHEDULE: if a rewrite is under way, the snapshot follows it rather than failing.
    redis.call('BGSAVE', 'SCHEDULE'),
  ]);
  const failed = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.message as string);
  if (failed.length) {
    // Tried again at a later pass (a managed Redis may refuse these commands: its operator rewrites instead).
    await redis.multi().set(DUE_KEY, Date.now(), 'PX', 2 * 86_400_000, 'NX').exec();
    log.warn({ errors: failed }, 'could not rewrite Redis’s files after an erasure');
    return false;
  }
  log.info('Redis’s files rewritten after an erasure or purge');
  return true;
}
