import { createHmac } from 'node:crypto';

/** The UTC calendar day of a moment, `YYYY-MM-DD`. */
export const utcDayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * A keyed hash of client addresses (and other rate-limit subjects) whose key changes every UTC day: the
 * day's key is derived from ADDRESS_HASH_KEY and the date, so every signaling process uses the same key
 * without talking to the others, and a hash kept from yesterday cannot be matched to an address seen
 * today (nor, without the secret, to any address: trying all IPv4 addresses needs the key).
 *
 * The price: a counter window that spans midnight UTC starts again at midnight, so an address may reach a
 * limit twice within such a window (once under each day's hash). Our windows are 1 to 60 minutes.
 */
export class DailyKeyedHash {
  private day = '';
  private dayKey: Buffer = Buffer.alloc(0);

  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  of(value: string): string {
    const day = utcDayOf(this.now());
    if (day !== this.day) {
      this.dayKey = createHmac('sha256', this.secret).update(`consult address hash v1 ${day}`).digest();
      this.day = day;
    }
    return createHmac('sha256', this.dayKey).update(value).digest('base64url').slice(0, 32);
  }
}
