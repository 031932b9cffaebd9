import type { Redis } from 'ioredis';
import { DailyKeyedHash } from './address-hash.ts';
import { keys } from '../redis/keys.ts';
import { runScript } from '../redis/scripts.ts';

/**
 * Fixed-window counters in Redis, shared by every signaling process. Subjects (client addresses, e-mail
 * addresses) are stored only as a keyed hash whose key rotates daily (see DailyKeyedHash: a window that
 * spans midnight UTC may count an address twice), so no address is kept in clear, nor linkable across days.
 */
export class RateLimiter {
  private readonly hash: DailyKeyedHash;

  constructor(
    private readonly redis: Redis,
    hashKey: string,
    now: () => number = Date.now,
  ) {
    this.hash = new DailyKeyedHash(hashKey, now);
  }

  subject(value: string): string {
    return this.hash.of(value);
  }

  /** Counts one attempt; false when the subject is over the limit in the current window. */
  async allow(kind: string, value: string, limit: number, windowMs: number): Promise<boolean> {
    // A script rather than MULTI: it goes out with whatever else the request reads (one round trip).
    const count = (await runScript(this.redis, 'countAttempt', [keys.rateLimit(kind, this.subject(value))], [windowMs])) as unknown as number;
    return count <= limit;
  }

  /**
   * Like `allow`, and also says when the window ends (for a Retry-After header): one round trip.
   */
  async attempt(kind: string, value: string, limit: number, windowMs: number): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
    const key = keys.rateLimit(kind, this.subject(value));
    const [count, ttl] = await Promise.all([runScript(this.redis, 'countAttempt', [key], [windowMs]) as unknown as Promise<number>, this.redis.pttl(key)]);
    return { allowed: count <= limit, retryAfterSeconds: Math.max(1, Math.ceil((ttl > 0 ? ttl : windowMs) / 1000)) };
  }
}
