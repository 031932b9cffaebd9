import type { Redis } from 'ioredis';
import type { MediaServer } from '../../../sfu/src/index.ts';
import { keys } from '../redis/keys.ts';
import type { Lifecycle } from '../services.ts';

/** What /readyz answers: ready only when every part a new visitor needs works here and now. */
export interface ReadinessReport {
  ready: boolean;
  /** Redis took a write within the time limit (a read-only replica or a full `noeviction` Redis does not). */
  redis: 'ok' | 'failing';
  /** At least one mediasoup worker answered within the time limit. */
  media: 'ok' | 'failing';
  /** The process is stopping: a load balancer should send no one new here. */
  shuttingDown: boolean;
}

/** A check that has not answered within this long counts as failing (probes have timeouts of their own). */
export const READINESS_TIMEOUT_MS = 1000;
/** Checks started within this long of each other share one look (see `check`). */
const SHARED_CHECK_MS = 500;

/**
 * Whether this process should be given new visitors. The graceful stop calls `markShuttingDown()` first,
 * so the load balancer stops sending anyone here while the calls under way finish.
 */
export class Readiness {
  private recent?: { at: number; parts: Promise<[boolean, boolean]> };

  constructor(
    private readonly redis: Redis,
    private readonly media: MediaServer,
    /** The process's one shutting-down flag, which the check-in and the socket handshake read too. */
    private readonly lifecycle: Lifecycle = { shuttingDown: false },
    private readonly timeoutMs = READINESS_TIMEOUT_MS,
  ) {}

  markShuttingDown(): void {
    this.lifecycle.shuttingDown = true;
  }

  get shuttingDown(): boolean {
    return this.lifecycle.shuttingDown;
  }

  async check(): Promise<ReadinessReport> {
    // /readyz is on the public port: any number of requests within a moment share one look at Redis and
    // the workers, so probing it hard costs them nothing more. Shutting down shows at once all the same.
    if (!this.recent || Date.now() - this.recent.at > SHARED_CHECK_MS) {
      this.recent = { at: Date.now(), parts: Promise.all([this.redisWritable(), this.mediaAlive()]) };
    }
    const [redis, media] = await this.recent.parts;
    return {
      ready: redis && media && !this.shuttingDown,
      redis: redis ? 'ok' : 'failing',
      media: media ? 'ok' : 'failing',
      shuttingDown: this.shuttingDown,
    };
  }

  private async redisWritable(): Promise<boolean> {
    // A write, not a PING: Redis answers pings while it refuses writes (out of memory, a replica).
    const write = this.redis.set(keys.readinessProbe(), '1', 'PX', 60_000).then(
      () => true,
      () => false,
    );
    return (await settledWithin(write, this.timeoutMs)) ?? false;
  }

  private async mediaAlive(): Promise<boolean> {
    const { workers } = await this.media.stats(this.timeoutMs).catch(() => ({ workers: [] }));
    return workers.some((w) => w.routers !== null);
  }
}

function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]).finally(() => clearTimeout(timer));
}
