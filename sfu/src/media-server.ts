import { EventEmitter } from 'node:events';
import { CallRouter, type TransportListen } from './call-router.ts';
import { LoopbackTest } from './loopback-test.ts';
import { mediaCodecs, type MediaConfig } from './media-config.ts';
import type { types } from 'mediasoup';
import { WorkerPool } from './worker-pool.ts';
import { MediaError } from './media-error.ts';

/** One worker as seen at a moment: its routers (calls and network tests) and the CPU time it has used. */
export interface WorkerStats {
  pid: number;
  /** Null when the worker did not answer in time (hung, or dying): it cannot take a call either. */
  routers: number | null;
  cpuSeconds: number | null;
}

export interface MediaStats {
  /** Calls with a router here, and the participants joined to them. */
  calls: number;
  participants: number;
  workers: WorkerStats[];
}

export interface MediaServerEvents {
  /** The call's router was lost with its worker: its participants must join again. */
  'call-media-lost': [callId: string];
}

interface Logger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * The SFU's whole interface to signaling: a router per call, placed on the least loaded worker.
 * It knows calls and participants only by opaque ids.
 */
export class MediaServer extends EventEmitter<MediaServerEvents> {
  private readonly pool: WorkerPool;
  private readonly calls = new Map<string, { router: CallRouter; worker: types.Worker }>();
  /** Routers being created; `cancelled` once the call was closed meanwhile (the router is closed as it arrives). */
  private readonly pending = new Map<string, { promise: Promise<CallRouter>; cancelled: boolean }>();
  /** Network tests running or being set up: a place is taken before any await, so parallel starts cannot pass the cap together. */
  private loopbackPlaces = 0;
  private readonly loopbackTests = new Set<LoopbackTest>();

  private constructor(
    private readonly config: MediaConfig,
    log: Logger,
  ) {
    super();
    this.pool = new WorkerPool(config, log);
  }

  /** The same for every router (they share one codec list), so browsers may load it before any call. */
  rtpCapabilities!: types.RtpCapabilities;

  static async start(config: MediaConfig, log: Logger): Promise<MediaServer> {
    const server = new MediaServer(config, log);
    await server.pool.start();
    const probe = await server.pool.live()[0]!.createRouter({ mediaCodecs });
    server.rtpCapabilities = probe.rtpCapabilities;
    probe.close();
    return server;
  }

  get workerPids(): number[] {
    return this.pool.pids();
  }

  /**
   * Asks every live worker over its channel for its routers and CPU time, each answer awaited at most
   * `timeoutMs`: a worker that answers is alive in the sense that matters (it can take a call).
   */
  async stats(timeoutMs: number): Promise<MediaStats> {
    let participants = 0;
    for (const { router } of this.calls.values()) participants += router.participantCount;
    const workers = await Promise.all(
      this.pool.live().map(async (worker): Promise<WorkerStats> => {
        const [dump, usage] = await Promise.all([within(worker.dump(), timeoutMs), within(worker.getResourceUsage(), timeoutMs)]);
        return {
          pid: worker.pid,
          routers: Array.isArray((dump as { routerIds?: unknown } | null)?.routerIds) ? (dump as { routerIds: unknown[] }).routerIds.length : null,
          cpuSeconds: usage ? (usage.ru_utime + usage.ru_stime) / 1000 : null,
        };
      }),
    );
    return { calls: this.calls.size, participants, workers };
  }

  /** The call's router, created on the least loaded worker the first time anyone joins. */
  async routerFor(callId: string): Promise<CallRouter> {
    const existing = this.calls.get(callId);
    if (existing && !existing.router.isClosed) return existing.router;
    const inFlight = this.pending.get(callId);
    if (inFlight) return inFlight.promise;
    const creation = { cancelled: false } as { promise: Promise<CallRouter>; cancelled: boolean };
    creation.promise = this.createRouter(callId, creation).finally(() => {
      if (this.pending.get(callId) === creation) this.pending.delete(callId);
    });
    this.pending.set(callId, creation);
    return creation.promise;
  }

  /** The pid of the worker process hosting the call's router (placement, for metrics and tests). */
  workerPidOf(callId: string): number | undefined {
    const entry = this.calls.get(callId);
    return entry && !entry.router.isClosed ? entry.worker.pid : undefined;
  }

  existingRouter(callId: string): CallRouter | undefined {
    const entry = this.calls.get(callId);
    return entry && !entry.router.isClosed ? entry.router : undefined;
  }

  /** Ends the call's media: its router, or the one being created for it (closed as soon as it exists). */
  closeCall(callId: string): void {
    const creation = this.pending.get(callId);
    if (creation) {
      creation.cancelled = true;
      this.pending.delete(callId);
    }
    const entry = this.calls.get(callId);
    if (!entry) return;
    this.calls.delete(callId);
    entry.router.close();
  }

  /**
   * A network test for one browser on a router of its own (see LoopbackTest); it closes itself after
   * `lifetimeMs` at the latest. Null when `maxConcurrent` tests are running or being set up already.
   */
  async startLoopbackTest(rtpCapabilities: types.RtpCapabilities, lifetimeMs: number, maxConcurrent: number): Promise<LoopbackTest | null> {
    if (this.loopbackPlaces >= maxConcurrent) return null;
    this.loopbackPlaces++;
    let test: LoopbackTest;
    try {
      const worker = await this.leastLoadedWorker();
      const router = await worker.createRouter({ mediaCodecs });
      test = await LoopbackTest.start(router, this.listenOn(worker), rtpCapabilities, lifetimeMs);
    } catch (error) {
      this.loopbackPlaces--;
      throw error;
    }
    this.loopbackTests.add(test);
    test.onClose(() => {
      this.loopbackTests.delete(test);
      this.loopbackPlaces--;
    });
    return test;
  }

  /** Network tests running or being set up now on this server. */
  get loopbackTestCount(): number {
    return this.loopbackPlaces;
  }

  close(): void {
    for (const test of [...this.loopbackTests]) test.close();
    for (const id of [...this.calls.keys()]) this.closeCall(id);
    this.pool.close();
  }

  private listenOn(worker: types.Worker): TransportListen {
    const webRtcServer = this.pool.webRtcServerOf(worker);
    return webRtcServer ? { webRtcServer } : { listenIps: [{ ip: this.config.listenIp, announcedIp: this.config.announcedIp }] };
  }

  /** Load is counted in participants (each one is a send and a receive stream set), plus one per call. */
  private async leastLoadedWorker(): Promise<types.Worker> {
    const load = new Map<types.Worker, number>();
    for (const w of await this.pool.liveSoon()) load.set(w, 0);
    for (const { router, worker } of this.calls.values()) {
      if (load.has(worker)) load.set(worker, load.get(worker)! + 1 + router.participantCount);
    }
    let best: types.Worker | undefined;
    for (const [w, l] of load) if (!best || l < load.get(best)!) best = w;
    if (!best) throw new Error('no mediasoup worker is running');
    return best;
  }

  private async createRouter(callId: string, creation: { cancelled: boolean }): Promise<CallRouter> {
    const worker = await this.leastLoadedWorker();
    if (creation.cancelled) throw new MediaError('not_found', 'the call has ended');
    const router = await worker.createRouter({ mediaCodecs });
    // The call was closed while its router was being made: nobody may use it, and nothing else would close it.
    if (creation.cancelled) {
      router.close();
      throw new MediaError('not_found', 'the call has ended');
    }
    const call = new CallRouter(callId, router, this.listenOn(worker));
    this.calls.set(callId, { router: call, worker });
    router.observer.once('close', () => {
      const entry = this.calls.get(callId);
      if (entry?.router !== call) return;
      // Closed without closeCall(): its worker died. Tell signaling so the participants join again.
      this.calls.delete(callId);
      this.emit('call-media-lost', callId);
    });
    return call;
  }
}

/** The promise's value, or null if it fails or has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.catch(() => null),
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms))),
  ]).finally(() => clearTimeout(timer));
}
