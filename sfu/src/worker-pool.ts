import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { MediaConfig } from './media-config.ts';

export interface WorkerPoolEvents {
  /** A worker process died; its routers are gone. A replacement is being started. */
  'worker-died': [pid: number, error: Error];
  'worker-replaced': [pid: number];
}

interface Logger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** One mediasoup worker per core; a worker that dies is replaced so capacity comes back by itself. */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  private readonly workers: types.Worker[] = [];
  private readonly webRtcServers = new Map<types.Worker, types.WebRtcServer>();
  private closing = false;

  constructor(
    private readonly config: MediaConfig,
    private readonly log: Logger,
  ) {
    super();
  }

  async start(): Promise<void> {
    try {
      await Promise.all(Array.from({ length: this.config.workers }, (_, slot) => this.spawn(slot)));
    } catch (error) {
      // The workers that did start would outlive a server that never runs.
      this.close();
      throw error;
    }
  }

  /** The worker's WebRtcServer, where media goes through fixed ports; none without webRtcPortBase. */
  webRtcServerOf(worker: types.Worker): types.WebRtcServer | undefined {
    return this.webRtcServers.get(worker);
  }

  live(): types.Worker[] {
    return this.workers.filter((w) => !w.closed);
  }

  /** Live workers, waiting (up to `timeoutMs`) for a replacement when the last one has just died. */
  async liveSoon(timeoutMs = 10_000): Promise<types.Worker[]> {
    if (this.live().length > 0 || this.closing) return this.live();
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('worker-replaced', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('worker-replaced', done);
    });
    return this.live();
  }

  get size(): number {
    return this.workers.length;
  }

  pids(): number[] {
    return this.workers.map((w) => w.pid);
  }

  close(): void {
    this.closing = true;
    for (const w of this.workers) w.close();
    this.workers.length = 0;
    this.webRtcServers.clear();
  }

  /** `slot`: the worker's place, kept by its replacement, so it takes the same WebRtcServer port. */
  private async spawn(slot: number): Promise<types.Worker> {
    const worker = await mediasoup.createWorker({
      logLevel: this.config.logLevel,
      rtcMinPort: this.config.rtcMinPort,
      rtcMaxPort: this.config.rtcMaxPort,
    });
    // Closed meanwhile (another worker failed to start): this one would outlive the pool.
    if (this.closing) {
      worker.close();
      throw new Error('the worker pool was closed while a worker started');
    }
    if (this.config.webRtcPortBase !== undefined) {
      const port = this.config.webRtcPortBase + slot;
      const at = { ip: this.config.listenIp, announcedIp: this.config.announcedIp, port };
      try {
        this.webRtcServers.set(worker, await worker.createWebRtcServer({ listenInfos: [{ protocol: 'udp', ...at }, { protocol: 'tcp', ...at }] }));
      } catch (error) {
        worker.close();
        throw new Error(`cannot listen for media on ${this.config.listenIp} port ${port} (RTC_PORT_BASE + ${slot}), UDP and TCP: ${(error as Error).message}`);
      }
    }
    this.workers.push(worker);
    worker.on('died', (error) => {
      const i = this.workers.indexOf(worker);
      if (i >= 0) this.workers.splice(i, 1);
      this.webRtcServers.delete(worker);
      if (this.closing) return;
      this.log.error({ pid: worker.pid, err: error.message }, 'mediasoup worker died; replacing it');
      this.emit('worker-died', worker.pid, error);
      this.spawn(slot).then(
        (w) => {
          this.log.info({ pid: w.pid }, 'mediasoup worker replaced');
          this.emit('worker-replaced', w.pid);
        },
        (err: Error) => this.log.error({ err: err.message }, 'could not replace mediasoup worker'),
      );
    });
    return worker;
  }
}
