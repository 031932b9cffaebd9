import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Server as SocketServer } from 'socket.io';
import { EMBED_NAMESPACE, NAMESPACE, NETWORK_CHECK_NAMESPACE } from '../../protocol/index.ts';
import type { MediaStats } from '../../../sfu/src/index.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';
import { READINESS_TIMEOUT_MS } from './readiness.ts';

/*
 * Every label value here is from a fixed set (a role, a Redis command, a route's pattern, an outcome) or a
 * worker's process id: never a name, a token, an id of a person or a path as requested (paths carry ids
 * and, in old consultation links, secrets).
 */

const SOCKET_ROLES = {
  visitor: NAMESPACE.visitor,
  professional: NAMESPACE.professional,
  embedded_professional: EMBED_NAMESPACE,
  network_check: NETWORK_CHECK_NAMESPACE,
} as const;

/** What the gauges read at a scrape from Redis and the media server: once per scrape, however many gauges use it. */
interface Snapshot {
  media: MediaStats;
  waitingVisitors: number;
  outboxQueued: number;
  outboxRetrying: number;
  purgeLastSuccessMs: number | null;
}

export class Metrics {
  readonly registry = new Registry();
  readonly redisCommandSeconds: Histogram<'command'>;
  readonly httpRequestSeconds: Histogram<'method' | 'route' | 'status'>;
  readonly admitToCallSeconds: Histogram;
  readonly webhookAttempts: Counter<'outcome'>;
  readonly smsMessages: Counter<'outcome'>;
  private snapshot?: { at: number; value: Promise<Snapshot> };

  constructor(
    private readonly s: Pick<Services, 'media' | 'redis'>,
    io: SocketServer,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    new Gauge({
      name: 'consult_sockets',
      help: 'Open Socket.IO connections to this process, by role',
      labelNames: ['role'],
      registers,
      collect() {
        for (const [role, namespace] of Object.entries(SOCKET_ROLES)) this.set({ role }, io.of(namespace).sockets.size);
      },
    });
    const read = () => this.read();
    new Gauge({
      name: 'consult_waiting_visitors',
      help: 'Visitors in the waiting rooms of every organization (the same figure from every process)',
      registers,
      async collect() {
        this.set((await read()).waitingVisitors);
      },
    });
    new Gauge({
      name: 'consult_calls',
      help: 'Calls whose media runs in this process',
      registers,
      async collect() {
        this.set((await read()).media.calls);
      },
    });
    new Gauge({
      name: 'consult_call_participants',
      help: 'Participants joined to the calls whose media runs in this process',
      registers,
      async collect() {
        this.set((await read()).media.participants);
      },
    });
    new Gauge({
      name: 'consult_media_workers_answering',
      help: 'mediasoup workers of this process that answered within a second',
      registers,
      async collect() {
        this.set((await read()).media.workers.filter((w) => w.routers !== null).length);
      },
    });
    new Gauge({
      name: 'consult_media_worker_cpu_seconds',
      help: 'CPU time (user and system) a mediasoup worker has used since it started',
      labelNames: ['worker_pid'],
      registers,
      async collect() {
        this.reset();
        for (const w of (await read()).media.workers) if (w.cpuSeconds !== null) this.set({ worker_pid: String(w.pid) }, w.cpuSeconds);
      },
    });
    new Gauge({
      name: 'consult_media_worker_routers',
      help: 'Routers on a mediasoup worker (one per call, one per network test)',
      labelNames: ['worker_pid'],
      registers,
      async collect() {
        this.reset();
        for (const w of (await read()).media.workers) if (w.routers !== null) this.set({ worker_pid: String(w.pid) }, w.routers);
      },
    });
    this.redisCommandSeconds = new Histogram({
      name: 'consult_redis_command_duration_seconds',
      help: 'From sending a Redis command to its answer, by command (scripts are evalsha)',
      labelNames: ['command'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.admitToCallSeconds = new Histogram({
      name: 'consult_admit_to_call_seconds',
      help: "From a professional's admission to the visitor joining the call's media",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    });
    new Gauge({
      name: 'consult_webhook_outbox_entries',
      help: 'Webhook deliveries not yet done, of every organization: queued to be sent, or waiting for a retry',
      labelNames: ['state'],
      registers,
      async collect() {
        const { outboxQueued, outboxRetrying } = await read();
        this.reset();
        if (Number.isNaN(outboxQueued)) return;
        this.set({ state: 'queued' }, outboxQueued);
        this.set({ state: 'retrying' }, outboxRetrying);
      },
    });
    this.webhookAttempts = new Counter({
      name: 'consult_webhook_attempts_total',
      help: 'Webhook delivery attempts made by this process, by outcome (retrying: failed, tried again later; failed: given up)',
      labelNames: ['outcome'],
      registers,
    });
    new Gauge({
      name: 'consult_purge_last_success_timestamp_seconds',
      help: 'When a retention purge pass last finished, in any process (0: none kept on record)',
      registers,
      async collect() {
        this.set(((await read()).purgeLastSuccessMs ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'consult_purge_lag_seconds',
      help: 'Seconds since a retention purge pass last finished (expected below twice PURGE_INTERVAL_SECONDS)',
      registers,
      async collect() {
        const last = (await read()).purgeLastSuccessMs;
        if (Number.isNaN(last)) return void this.set(NaN);
        // Never on record: as late as the record is kept, so an alert on lag fires rather than stays quiet.
        this.set(last === null ? 30 * 86_400 : Math.max(0, (Date.now() - last) / 1000));
      },
    });
    this.smsMessages = new Counter({
      name: 'consult_sms_total',
      help: 'Text messages this process handed to Twilio (sent) or could not (failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.httpRequestSeconds = new Histogram({
      name: 'consult_http_request_duration_seconds',
      help: "HTTP requests by method, the route's pattern (never the path itself) and status",
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    // Counters that must show 0 before the first event, so rate() and alerts see the series from the start.
    for (const outcome of ['delivered', 'retrying', 'failed']) this.webhookAttempts.inc({ outcome }, 0);
    for (const outcome of ['sent', 'failed']) this.smsMessages.inc({ outcome }, 0);
  }

  /** The exposition text (Prometheus' text format). */
  async exposition(): Promise<{ contentType: string; body: string }> {
    this.snapshot = undefined;
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private read(): Promise<Snapshot> {
    if (!this.snapshot || Date.now() - this.snapshot.at > 1000) this.snapshot = { at: Date.now(), value: this.take() };
    return this.snapshot.value;
  }

  private async take(): Promise<Snapshot> {
    const [media, fromRedis] = await Promise.all([
      this.s.media.stats(READINESS_TIMEOUT_MS),
      // Redis down or slow: those figures are NaN (unknown; the outbox's series are left out) while the rest is still exposed.
      withinOrNull(this.fromRedis(), READINESS_TIMEOUT_MS),
    ]);
    return fromRedis ? { media, ...fromRedis } : { media, waitingVisitors: NaN, outboxQueued: NaN, outboxRetrying: NaN, purgeLastSuccessMs: NaN };
  }

  private async fromRedis(): Promise<Omit<Snapshot, 'media'>> {
    const { redis } = this.s;
    const [orgIds, outboxQueued, outboxRetrying, lastSuccess] = await Promise.all([
      redis.smembers(keys.organizations()),
      redis.xlen(keys.webhookOutbox()),
      redis.zcard(keys.webhookRetries()),
      redis.get(keys.purgeLastSuccess()),
    ]);
    const rooms = await Promise.all(orgIds.map(async (orgId) => (await redis.smembers(keys.rooms(orgId))).map((roomId) => keys.waiting(orgId, roomId))));
    const lengths = await Promise.all(rooms.flat().map((key) => redis.zcard(key)));
    return {
      waitingVisitors: lengths.reduce((a, b) => a + b, 0),
      outboxQueued,
      outboxRetrying,
      purgeLastSuccessMs: lastSuccess ? Number(lastSuccess) : null,
    };
  }
}

function withinOrNull<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise.catch(() => null), new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
