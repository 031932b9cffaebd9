import type { Redis } from 'ioredis';
import { scanKeys } from './redis-keys.ts';

export interface DumpedKey {
  type: string;
  /** The value, in a comparable form: strings, hashes as objects, (sorted) sets and lists as arrays. */
  value: unknown;
  /** Remaining time to live in ms at the time of the dump; -1 without TTL. */
  ttl: number;
}

/** Every key (by SCAN, as an operator would) with its type, value and TTL. */
export async function dumpRedis(redis: Redis): Promise<Map<string, DumpedKey>> {
  const result = new Map<string, DumpedKey>();
  for (const key of await scanKeys(redis)) {
    const type = await redis.type(key);
    let value: unknown;
    switch (type) {
      case 'string':
        value = await redis.get(key);
        break;
      case 'hash':
        value = await redis.hgetall(key);
        break;
      case 'set':
        value = (await redis.smembers(key)).sort();
        break;
      case 'zset':
        value = await redis.zrange(key, '0', '-1', 'WITHSCORES');
        break;
      case 'list':
        value = await redis.lrange(key, 0, -1);
        break;
      case 'stream':
        value = await redis.xrange(key, '-', '+');
        break;
      case 'none':
        continue; // expired between SCAN and TYPE
      default:
        value = `<${type}>`;
    }
    result.set(key, { type, value, ttl: await redis.pttl(key) });
  }
  return result;
}

/**
 * Differences between two dumps, as readable lines (empty: nothing changed). A TTL counts as changed if it
 * appeared, disappeared, or was renewed (grew, or shrank by more than the time elapsed between the dumps).
 */
export function diffDumps(before: Map<string, DumpedKey>, after: Map<string, DumpedKey>, elapsedMs: number): string[] {
  const diffs: string[] = [];
  for (const [key, b] of before) {
    const a = after.get(key);
    if (!a) {
      diffs.push(`removed ${key}`);
      continue;
    }
    if (a.type !== b.type || JSON.stringify(a.value) !== JSON.stringify(b.value)) diffs.push(`changed ${key}`);
    if ((a.ttl === -1) !== (b.ttl === -1)) diffs.push(`ttl of ${key}: ${b.ttl} -> ${a.ttl}`);
    else if (b.ttl !== -1 && (a.ttl > b.ttl || b.ttl - a.ttl > elapsedMs + 50)) diffs.push(`ttl of ${key} renewed: ${b.ttl} -> ${a.ttl}`);
  }
  for (const key of after.keys()) if (!before.has(key)) diffs.push(`added ${key}`);
  return diffs;
}
