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
}
