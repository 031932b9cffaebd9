import { createHmac } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';

const LEDGER_KEY = 'erasure-ledger';
/** Hash: organization id -> its latest shortened retention and when (JSON), for a restore to apply again. */
const SHORTENED_KEY = 'erasure-ledger:retention';
const DAY = 86_400_000;

export interface RetentionShortening {
  orgId: string;
  retention: { days: number } | { seconds: number };
  at: number;
}

/**
 * What was erased, kept for as long as a backup may be restored: a restore loads a snapshot taken before
 * some erasures, and this ledger is how it knows to erase those visitors and organizations again. It holds
 * only keyed hashes (HMAC under a key derived from ADDRESS_HASH_KEY), so it names no one to whoever reads a
 * copy of Redis, yet the restore, holding the same key, recognizes every erased id in the snapshot.
 */
export class ErasureLedger {
  private readonly key: Buffer;

  constructor(
    hashKey: string,
    /** Backups are kept this many days; the ledger a day longer, so no backup outlives its erasures. */
    private readonly backupKeepDays: number,
  ) {
    this.key = createHmac('sha256', hashKey).update('consult erasure ledger v1').digest();
  }

  visitorEntry(orgId: string, visitorId: string): string {
    return this.hash(`visitor:${orgId}:${visitorId}`);
  }

  /** Someone invited by a phone number or e-mail address (by its invitee id), erased of it. */
  inviteeEntry(orgId: string, inviteeId: string): string {
    return this.hash(`invitee:${orgId}:${inviteeId}`);
  }

  organizationEntry(orgId: string): string {
    return this.hash(`organization:${orgId}`);
  }

  /** Adds the entries to a transaction (so an erasure and its record land together) and trims the old ones. */
  record(tx: ChainableCommander, entries: string[], now = Date.now()): ChainableCommander {
    const keepMs = (this.backupKeepDays + 1) * DAY;
    if (entries.length) tx.zadd(LEDGER_KEY, ...entries.flatMap((e) => [String(now), e]));
    return tx.zremrangebyscore(LEDGER_KEY, '-inf', `(${now - keepMs}`).pexpire(LEDGER_KEY, keepMs);
  }

  /**
   * A shortened retention deleted and shortened what was kept already; a restore of an older snapshot
   * shortens it again (organization ids and a period: no one's data).
   */
  recordShortening(tx: ChainableCommander, orgId: string, retention: RetentionShortening['retention'], now = Date.now()): ChainableCommander {
    const keepMs = (this.backupKeepDays + 1) * DAY;
    return tx.hset(SHORTENED_KEY, orgId, JSON.stringify({ retention, at: now })).pexpire(SHORTENED_KEY, keepMs);
  }

  static async readShortenings(redis: Redis): Promise<RetentionShortening[]> {
    const all = await redis.hgetall(SHORTENED_KEY);
    return Object.entries(all).map(([orgId, json]) => ({ orgId, ...(JSON.parse(json) as Omit<RetentionShortening, 'orgId'>) }));
  }

  /** Every entry with when it was erased. */
  static async read(redis: Redis): Promise<Map<string, number>> {
    const flat = await redis.zrange(LEDGER_KEY, '0', '-1', 'WITHSCORES');
    const entries = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) entries.set(flat[i]!, Number(flat[i + 1]));
    return entries;
  }

  /** Puts entries back (after a restore), keeping the later time of each. */
  async merge(redis: Redis, entries: Map<string, number>, now = Date.now()): Promise<void> {
    const tx = redis.multi();
    for (const [entry, at] of entries) tx.zadd(LEDGER_KEY, 'GT', at, entry);
    await this.record(tx, [], now).exec();
  }

  private hash(subject: string): string {
    return createHmac('sha256', this.key).update(subject).digest('base64url');
  }
}
