import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { runScript } from '../redis/scripts.ts';

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
    // A script rather than MULTI: it goes out with whatever else the request reads (one round trip).
    const count = (await runScript(this.redis, 'countAttempt', [keys.rateLimit(kind, this.subject(value))], [windowMs])) as unknown as number;
    return count <= limit;
  }
}
