import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

/** Set when something was erased or purged since Redis's files were last rewritten. */
const DUE_KEY = 'redis-files:rewrite-due';
/**
 * Hash: when the files were last rewritten and Redis's count of expired keys then. (A timestamp rather than
 * a key that expires, whose own expiry would count as data that went.)
 */
const LAST_KEY = 'redis-files:last-rewrite';
const TWO_DAYS = 2 * 86_400_000;

/**
 * Redis's append-only file keeps every write until it is rewritten, and its snapshot (dump.rdb) keeps what
 * was there when it was taken: an erased visitor's name stays readable in those files after the live keys
 * are gone. So after an erasure, a purge, or keys expiring (retention passing: Redis's count of expired keys
 * moved), the purge job asks Redis to rewrite the AOF (BGREWRITEAOF: a new file from the live data, the old
 * ones deleted) and replace the snapshot (BGSAVE), at most once per REDIS_FILES_REWRITE_MIN_SECONDS, so a
 * busy clinic does not keep Redis rewriting. Erased data is gone from Redis's files within the hour.
 */
export function markRewriteDue(tx: ChainableCommander, now = Date.now()): ChainableCommander {
  // Kept two days at most: a Redis whose files are never rewritten (the commands refused) must not keep it forever.
  return tx.set(DUE_KEY, now, 'PX', TWO_DAYS, 'NX');
}

/** Rewrites Redis's files if something went since the last rewrite and the rate limit allows; answers whether it did. */
export async function rewriteRedisFilesIfDue(redis: Redis, log: Logger, minGapSeconds: number, now = Date.now()): Promise<boolean> {
  const [due, [lastAt, lastExpired], expired] = await Promise.all([redis.exists(DUE_KEY), redis.hmget(LAST_KEY, 'at', 'expiredKeys'), expiredKeys(redis)]);
  if (lastAt !== null && now - Number(lastAt) < minGapSeconds * 1000) return false;
  // (A restarted Redis counts from zero again: any change of the count means keys went.)
  if (!due && (expired === null || String(expired) === lastExpired)) return false;
  await redis.multi().del(DUE_KEY).hset(LAST_KEY, 'at', now, 'expiredKeys', expired ?? '').pexpire(LAST_KEY, TWO_DAYS).exec();
  const results = await Promise.allSettled([
    redis.call('BGREWRITEAOF'),
    // SCHEDULE: if a rewrite is under way, the snapshot follows it rather than failing.
    redis.call('BGSAVE', 'SCHEDULE'),
  ]);
  const failed = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.message as string);
  if (failed.length) {
    // Tried again at a later pass (a managed Redis may refuse these commands: its operator rewrites instead).
    await markRewriteDue(redis.multi(), now).exec();
    log.warn({ errors: failed }, 'could not rewrite Redis’s files after an erasure');
    return false;
  }
  log.info('Redis’s files rewritten after an erasure or purge');
  return true;
}

/** Redis's count of keys expired since it started (null where INFO is not allowed). */
async function expiredKeys(redis: Redis): Promise<number | null> {
  try {
    const m = /expired_keys:(\d+)/.exec(await redis.info('stats'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
