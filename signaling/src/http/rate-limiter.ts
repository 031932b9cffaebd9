import type { Redis } from 'ioredis';
import ipaddr from 'ipaddr.js';
import { DailyKeyedHash } from './address-hash.ts';
import { keys } from '../redis/keys.ts';
import { defineScript, integer } from '../redis/lua-script.ts';

/** A client's address (as Express's req.ip or clientAddressResolver gives it), counted by its group. */
export type ClientAddress = { address: string | undefined };

/**
 * What a per-address limit counts: one host gets a whole IPv6 /64 (2^64 addresses to rotate through), so
 * an IPv6 address counts as its /64; an IPv4 address written as IPv6 (::ffff:a.b.c.d) as the IPv4 one.
 */
export function addressGroupOf(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  return `${new ipaddr.IPv6([...(parsed as ipaddr.IPv6).parts.slice(0, 4), 0, 0, 0, 0]).toString()}/64`;
}

/**
 * Fixed-window counters in Redis, shared by every signaling process. Subjects (client addresses, e-mail
 * addresses) are stored only as a keyed hash whose key rotates daily (see DailyKeyedHash: a window that
 * spans midnight UTC may count an address twice), so no address is kept in clear, nor linkable across days.
 */
/** One attempt against a fixed-window limit (`windowMs` long from the first): answers the count so far. */
export const countAttempt = defineScript({
  name: 'countAttempt',
  keys: ['counter'],
  args: ['windowMs'],
  lua: (k, a) => `
local count = redis.call('INCR', ${k.counter})
if count == 1 then redis.call('PEXPIRE', ${k.counter}, ${a.windowMs}) end
return count
`,
  parse: integer,
});

export class RateLimiter {
  private readonly hash: DailyKeyedHash;

  constructor(
    private readonly redis: Redis,
    hashKey: string,
    now: () => number = Date.now,
  ) {
    this.hash = new DailyKeyedHash(hashKey, now);
  }

  /** An account, key or organization id as it is; a client address (`{ address }`) by its group. */
  subject(value: string | ClientAddress): string {
    return this.hash.of(typeof value === 'string' ? value : addressGroupOf(value.address ?? ''));
  }

  /** Counts one attempt; false when the subject is over the limit in the current window. */
  async allow(kind: string, value: string | ClientAddress, limit: number, windowMs: number): Promise<boolean> {
    // A script rather than MULTI: it goes out with whatever else the request reads (one round trip).
    const count = await countAttempt.run(this.redis, { keys: { counter: keys.rateLimit(kind, this.subject(value)) }, args: { windowMs } });
    return count <= limit;
  }

  /**
   * Like `allow`, and also says when the window ends (for a Retry-After header): one round trip.
   */
  async attempt(kind: string, value: string | ClientAddress, limit: number, windowMs: number): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
    const key = keys.rateLimit(kind, this.subject(value));
    const [count, ttl] = await Promise.all([countAttempt.run(this.redis, { keys: { counter: key }, args: { windowMs } }), this.redis.pttl(key)]);
    return { allowed: count <= limit, retryAfterSeconds: Math.max(1, Math.ceil((ttl > 0 ? ttl : windowMs) / 1000)) };
  }
}
