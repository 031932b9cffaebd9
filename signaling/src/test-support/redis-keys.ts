import type { Redis } from 'ioredis';

/** Every key in the database with its TTL in ms (-1: none), by SCAN as an operator would. */
export async function allKeysWithTtl(redis: Redis): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) result.set(key, await redis.pttl(key));
  } while (cursor !== '0');
  return result;
}
