import { AppError, badField } from '../errors.ts';
import { keys, kindOfKey, RETAINED_KEY_KINDS } from '../redis/keys.ts';
import type { Retention } from '../organizations/organization-store.ts';
import type { Services } from '../services.ts';
import { ErasureLedger } from '../backup/erasure-ledger.ts';
import { markRewriteDue } from '../backup/redis-files.ts';

/**
 * An admin changes how long the organization keeps data about visitors and calls. Lengthening applies to
 * what is written from now on; shortening applies to what is kept already: each such key's TTL is lowered
 * by the difference (what was written a month ago under 90 days goes when it is 30 days old, under 30),
 * and what is older than the new period goes now. Answers how many keys were lowered and deleted.
 */
export async function changeRetention(s: Pick<Services, 'redis' | 'config' | 'log' | 'organizations'>, orgId: string, retention: Retention, now = Date.now()): Promise<{ lowered: number; deleted: number }> {
  if ('seconds' in retention) {
    const minimum = s.config.RETENTION_TEST_MINIMUM_SECONDS;
    // A production server has no such minimum: a period in seconds is refused outright.
    if (!minimum) throw new AppError('bad_request', 'retentionSeconds: retention_invalid (days only)', { fields: [{ field: 'retentionSeconds', code: 'retention_invalid' }] });
    if (retention.seconds < minimum) throw badField('retentionSeconds', 'retention_too_short');
  }
  const before = await s.organizations.setRetention(orgId, retention);
  const after = 'days' in retention ? retention.days * 86_400_000 : retention.seconds * 1000;
  if (!before || after >= before) return { lowered: 0, deleted: 0 };
  // Recorded first, so a restore of a backup taken before it shortens that backup's data too.
  const ledger = new ErasureLedger(s.config.ADDRESS_HASH_KEY, s.config.BACKUP_KEEP_DAYS);
  await markRewriteDue(ledger.recordShortening(s.redis.multi(), orgId, retention, now), now).exec();
  return lowerTtls(s, orgId, before - after);
}

/**
 * SCAN over the organization's keys (a rare admin action: a pass over the key space is acceptable here,
 * unlike in the purge job that runs every minute).
 */
async function lowerTtls(s: Pick<Services, 'redis' | 'log'>, orgId: string, byMs: number): Promise<{ lowered: number; deleted: number }> {
  let lowered = 0;
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, found] = await s.redis.scan(cursor, 'MATCH', keys.allOf(orgId), 'COUNT', 1000);
    cursor = next;
    const retained = found.filter((key) => RETAINED_KEY_KINDS.includes(kindOfKey(key)?.kind ?? ''));
    if (!retained.length) continue;
    const ttls = (await Promise.all(retained.map((key) => s.redis.pttl(key)))) as number[];
    const pipeline = s.redis.pipeline();
    retained.forEach((key, i) => {
      const ttl = ttls[i]!;
      if (ttl < 0) return;
      if (ttl - byMs <= 0) {
        pipeline.del(key);
        deleted++;
      } else {
        pipeline.pexpire(key, ttl - byMs);
        lowered++;
      }
    });
    await pipeline.exec();
  } while (cursor !== '0');
  s.log.info({ orgId, lowered, deleted }, 'retention shortened: existing data follows');
  return { lowered, deleted };
}
