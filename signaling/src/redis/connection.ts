import { Redis } from 'ioredis';
import { defineScripts } from './scripts.ts';

export type RedisClient = Redis;

export function connectRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, enableAutoPipelining: true, lazyConnect: false });
  defineScripts(redis);
  return redis;
}
