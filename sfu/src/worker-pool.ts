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
  private closing = false;

  constructor(
    private readonly config: MediaConfig,
    private readonly log: Logger,
  ) {
    super();
  }

  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.config.workers }, () => this.spawn()));
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
  }

  private async spawn(): Promise<types.Worker> {
    const worker = await mediasoup.createWorker({
      logLevel: this.config.logLevel,
      rtcMinPort: this.config.rtcMinPort,
      rtcMaxPort: this.config.rtcMaxPort,
    });
    this.workers.push(worker);
    worker.on('died', (error) => {
      const i = this.workers.indexOf(worker);
      if (i >= 0) this.workers.splice(i, 1);
      if (this.closing) return;
      this.log.error({ pid: worker.pid, err: error.message }, 'mediasoup worker died; replacing it');
      this.emit('worker-died', worker.pid, error);
      this.spawn().then(
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
