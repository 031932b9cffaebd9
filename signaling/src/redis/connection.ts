import { Redis } from 'ioredis';

export type RedisClient = Redis;

/** Scripts need nothing defined on a connection: each runs by its SHA (lua-script.ts). */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3, enableAutoPipelining: true, lazyConnect: false });
}
