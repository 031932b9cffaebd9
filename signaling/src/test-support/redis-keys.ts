import type { Redis } from 'ioredis';

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
