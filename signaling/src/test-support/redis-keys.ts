import type { Redis } from 'ioredis';
import { eventually } from './eventually.ts';

/** Every key matching `pattern` (all keys by default), by SCAN as an operator would, sorted. */
export async function scanKeys(redis: Redis, pattern = '*'): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return [...new Set(found)].sort(); // SCAN may return a key twice
}

/** Every key in the database with its TTL in ms (-1: none). */
export async function allKeysWithTtl(redis: Redis): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  for (const key of await scanKeys(redis)) result.set(key, await redis.pttl(key));
  return result;
}

/**
 * `ms` of Redis's own clock passing, for tests that would otherwise wait for TTLs to run out: every key
 * whose TTL ends within `ms` expires now, and every other key's TTL is `ms` shorter. (Redis has no clock to
 * set; what the server itself does with time is then run with its own `now`, e.g. a purge pass.)
 */
export async function letRedisTimePass(redis: Redis, ms: number): Promise<void> {
  const ending: string[] = [];
  for (const [key, ttl] of await allKeysWithTtl(redis)) {
    if (ttl < 0) continue;
    if (ttl <= ms) ending.push(key);
    else await redis.pexpire(key, ttl - ms);
  }
  for (const key of ending) await redis.pexpire(key, 1);
  await eventually(async () => (await Promise.all(ending.map((key) => redis.exists(key)))).every((n) => n === 0), { what: `keys whose TTL ended within ${ms} ms gone` });
}
