import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';

/**
 * Fixed-window counters in Redis, shared by every signaling process. Subjects (client addresses, e-mail
 * addresses) are stored only as a keyed hash: the key comes from the environment, so the stored value
 * cannot be reversed by trying all IPv4 addresses.
 */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly hashKey: string,
  ) {}

  subject(value: string): string {
    return createHmac('sha256', this.hashKey).update(value).digest('base64url').slice(0, 32);
  }

  /** Counts one attempt; false when the subject is over the limit in the current window. */
  async allow(kind: string, value: string, limit: number, windowMs: number): Promise<boolean> {
    const key = keys.rateLimit(kind, this.subject(value));
    const [[, count]] = (await this.redis.multi().incr(key).pexpire(key, windowMs, 'NX').exec()) as [[unknown, number]];
    return count <= limit;
  }
}
