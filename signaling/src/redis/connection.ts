import { Redis } from 'ioredis';

export type RedisClient = Redis;

/** Scripts need nothing defined on a connection: each runs by its SHA (lua-script.ts). */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, enableAutoPipelining: true, lazyConnect: false });
  sendEachBatchAtOnce(redis);
  return redis;
}

/**
 * Auto-pipelining gathers the commands of one turn of the event loop into one write, which we want (fewer
 * writes and round trips). But ioredis also holds each batch back until the batch before it is answered,
 * so under load every command waited for someone else's round trip before its own: at 500 arrivals a
 * second the check-in's script took 30-45 ms at p99 instead of 16-17 (bench:waiting-room). Replies still
 * come back in order on the one connection, so nothing needs the wait. ioredis (pinned) keeps the batches
 * in flight in a private set; one that never says "running" sends each batch when its turn ends.
 * `connection.test.ts` fails if an ioredis upgrade brings the wait back.
 */
export function sendEachBatchAtOnce(redis: Redis): void {
  const neverRunning = new Set<string>();
  neverRunning.has = () => false;
  neverRunning.add = () => neverRunning;
  (redis as unknown as { _runningAutoPipelines: Set<string> })._runningAutoPipelines = neverRunning;
}
