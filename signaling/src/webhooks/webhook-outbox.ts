import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { WEBHOOK_SIGNATURE_HEADER, type ConsultationEvent, type WebhookAttemptView } from '../../protocol/index.ts';
import type { Config } from '../config.ts';
import { fieldContext, type FieldCipher } from '../crypto/field-cipher.ts';
import type { Logger } from '../logger.ts';
import { keys } from '../redis/keys.ts';
import { finishWebhookEntry, handOnWebhookEvent, releaseDueWebhooks, removeIdleWebhookConsumers, retryWebhookLater } from './webhook-scripts.ts';
import { AddressGuard } from './address-guard.ts';
import { postWebhook } from './webhook-request.ts';
import { signatureHeader } from './webhook-signature.ts';
import { WebhookStore } from './webhook-store.ts';

/** The consumer group every signaling process reads the outbox through. */
export const OUTBOX_GROUP = 'deliverers';
/** How often a deliverer removes the consumers of processes gone (besides at its start). */
const CONSUMER_TIDY_INTERVAL_MS = 3_600_000;
/** A retry waits at most this long, however many came before. */
const MAX_RETRY_DELAY_MS = 3_600_000;

type Fields = Record<string, string>;
type StreamEntry = [id: string, flat: string[]];

const fieldsOf = (flat: string[]): Fields => {
  const f: Fields = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  return f;
};

/**
 * How long the n-th retry waits: the base doubled each time (at most an hour), then "equal jitter" (half
 * of it fixed, half random), so endpoints that came back do not get every waiting delivery at one instant.
 */
export function retryDelay(baseMs: number, failedAttempts: number, random = Math.random): number {
  const full = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.min(30, Math.max(0, failedAttempts - 1)));
  return Math.round(full / 2 + random() * (full / 2));
}

/** At most this many deliveries wait in a process for one endpoint's turn (the rest wait in the retry set). */
const PARKED_PER_ENDPOINT = 200;

/**
 * The durable, at-least-once path from a consultation event to each endpoint that wants it.
 *
 * - `enqueue` (the events listener) only adds the event, sealed, to the outbox stream: one round trip, so a
 *   slow or dead endpoint never holds up the waiting room or a call.
 * - Every signaling process reads the stream through one consumer group (`deliver`), a bounded number of
 *   entries at a time. An event entry is handed on as one delivery entry per endpoint that wants it; a
 *   delivery entry is one attempt. Entries are acknowledged and deleted when done (XACK+XDEL), so the stream
 *   holds only work not done yet.
 * - A failed attempt waits in a sorted set until its retry is due (exponential backoff with jitter), then
 *   goes back into the stream; past WEBHOOK_GIVE_UP_AFTER_MS the delivery is marked failed.
 * - An entry a process took and never finished (it was killed) is taken over by another process after
 *   WEBHOOK_CLAIM_IDLE_MS (XAUTOCLAIM): everything in the outbox survives the restart of any process.
 * - The consumer a dead process leaves in the group is removed once it has nothing pending and has been
 *   idle a day (at each start and hourly), so restarts do not pile consumers up.
 */
export class WebhookOutbox {
  /** Each attempt's outcome in this process (delivered, to be retried, failed for good), for the metrics. */
  readonly attempts = new EventEmitter<{ attempt: [outcome: 'delivered' | 'retrying' | 'failed'] }>();
  private readonly consumer = `${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly inFlight = new Set<Promise<void>>();
  /** Requests under way per endpoint in this process: a dead endpoint may hold only a few delivery slots. */
  private readonly perEndpoint = new Map<string, number>();
  /** Deliveries parked until their (answering) endpoint has a free slot: they hold no delivery slot meanwhile. */
  private readonly parkedFor = new Map<string, (() => void)[]>();
  private parked = 0;
  /** Resolves the read loop's wait when a delivery parks (its slot is free again, though it has not ended). */
  private slotFreed: (() => void) | null = null;
  /** Endpoints whose last attempt here failed: their overflow waits in the retry set, not in this process. */
  private readonly failing = new Set<string>();
  private reader?: Redis;
  /**
   * The timed polls (due retries, abandoned entries, idle consumers) run on a connection of their own once
   * delivery starts, as presence heartbeats do: background work that neither waits behind nor delays the
   * visitors' and professionals' requests, nor lands in their round trips. Before start(), the main one.
   */
  private poller: Redis;
  private running = false;
  private loop?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  private groupReady = false;
  /** The clock attempts are made and judged by (tests move it to see a day of failures pass). */
  now: () => number = Date.now;
  /**
   * A consumer idle this long with nothing pending belongs to a process gone (a live one reads every
   * second): removed from the group. Tests shorten it.
   */
  idleConsumerMs = 86_400_000;

  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
    private readonly store: WebhookStore,
    readonly guard: AddressGuard,
    private readonly config: Pick<Config, 'WEBHOOK_RETRY_BASE_MS' | 'WEBHOOK_GIVE_UP_AFTER_MS' | 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_CONCURRENCY' | 'WEBHOOK_CLAIM_IDLE_MS' | 'WEBHOOK_CONCURRENCY_PER_ENDPOINT'>,
    private readonly log: Logger,
  ) {
    this.poller = redis;
  }

  /** The events listener: the event, sealed (it carries the EHR's reference), into the outbox. */
  async enqueue(event: ConsultationEvent): Promise<void> {
    const body = this.cipher.encrypt(JSON.stringify(event), fieldContext.webhookBody(event.organizationId, 'event', event.id));
    await this.redis.xadd(keys.webhookOutbox(), '*', 'kind', 'event', 'org', event.organizationId, 'event', event.id, 'body', body);
  }

  /** An admin's resend: the delivery goes into the outbox again, as a new run of tries from now. */
  async resend(orgId: string, deliveryId: string, now = this.now()): Promise<void> {
    await this.redis.xadd(keys.webhookOutbox(), '*', 'kind', 'delivery', 'org', orgId, 'delivery', deliveryId, 'resend', String(now));
  }

  /** Starts delivering in this process (nothing with WEBHOOK_CONCURRENCY=0). */
  start(): void {
    if (this.running || this.config.WEBHOOK_CONCURRENCY === 0) return;
    this.running = true;
    // Blocking reads hold their connection: a connection of their own, so nothing else waits behind them.
    this.reader = this.redis.duplicate({ enableAutoPipelining: false });
    this.reader.on('error', () => {}); // reconnects by itself; reads fail meanwhile and are retried
    this.poller = this.redis.duplicate();
    this.poller.on('error', () => {}); // as the reader: a failed poll is warned about and runs again
    this.loop = this.readLoop();
    const pollMs = Math.max(20, Math.min(1000, this.config.WEBHOOK_RETRY_BASE_MS));
    const claimMs = Math.max(250, Math.floor(this.config.WEBHOOK_CLAIM_IDLE_MS / 2));
    this.timers.push(setInterval(() => void this.releaseDue().catch(this.warn('releasing due retries')), pollMs));
    this.timers.push(setInterval(() => void this.claimAbandoned().catch(this.warn('claiming abandoned entries')), claimMs));
    // Every process that ever delivered left a consumer in the group; those of processes gone pile up.
    const tidy = () => void this.removeIdleConsumers().catch(this.warn('removing idle consumers'));
    tidy();
    this.timers.push(setInterval(tidy, CONSUMER_TIDY_INTERVAL_MS));
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const endpointId of [...this.parkedFor.keys()]) this.wake(endpointId, true);
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.reader?.disconnect();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    if (this.poller !== this.redis) {
      await this.poller.quit().catch(() => this.poller.disconnect());
      this.poller = this.redis;
    }
  }

  private warn = (what: string) => (err: Error) => this.log.warn({ err: err.message }, `webhooks: ${what} failed`);

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      // From the stream's start: entries added before any process ever read it are delivered too.
      await this.poller.xgroup('CREATE', keys.webhookOutbox(), OUTBOX_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    this.groupReady = true;
  }

  private free(): number {
    return this.config.WEBHOOK_CONCURRENCY - (this.inFlight.size - this.parked);
  }

  /** Wakes the deliveries parked for an endpoint: the next one, or all (to go elsewhere). */
  private wake(endpointId: string, all = false): void {
    const queue = this.parkedFor.get(endpointId);
    if (!queue) return;
    for (const resume of all ? queue.splice(0) : queue.splice(0, 1)) resume();
    if (queue.length === 0) this.parkedFor.delete(endpointId);
  }

  private track(entry: StreamEntry): void {
    const work: Promise<void> = this.handle(entry)
      .catch((err: Error) => this.log.warn({ err: err.message }, 'webhooks: an outbox entry failed; another process takes it over later'))
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  private async readLoop(): Promise<void> {
    while (this.running) {
      if (this.free() <= 0) {
        await Promise.race([...this.inFlight, new Promise<void>((r) => (this.slotFreed = r))]);
        this.slotFreed = null;
        continue;
      }
      try {
        await this.ensureGroup();
        const answer = (await this.reader!.xreadgroup(
          'GROUP', OUTBOX_GROUP, this.consumer, 'COUNT', this.free(), 'BLOCK', 1000, 'STREAMS', keys.webhookOutbox(), '>',
        )) as [string, StreamEntry[]][] | null;
        for (const entry of answer?.[0]?.[1] ?? []) this.track(entry);
      } catch (err) {
        if (!this.running) return;
        // The stream or its group was deleted (a flushed Redis): made again on the next read.
        if (String((err as Error).message).includes('NOGROUP')) this.groupReady = false;
        else this.warn('reading the outbox')(err as Error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Entries of a process that died holding them, idle for WEBHOOK_CLAIM_IDLE_MS: this process takes them on. */
  async claimAbandoned(): Promise<number> {
    const count = this.free();
    if (!this.running || count <= 0) return 0;
    await this.ensureGroup();
    const [, claimed, deleted] = (await this.poller.xautoclaim(
      keys.webhookOutbox(), OUTBOX_GROUP, this.consumer, this.config.WEBHOOK_CLAIM_IDLE_MS, '0-0', 'COUNT', count,
    )) as [string, StreamEntry[], string[]];
    // Entries deleted while pending (an organization erased): only their acknowledgement is left to do.
    if (deleted?.length) await this.poller.xack(keys.webhookOutbox(), OUTBOX_GROUP, ...deleted);
    for (const entry of claimed) if (entry[1]) this.track(entry);
    return claimed.length;
  }

  /**
   * Removes the group's consumers that have nothing pending and were idle longer than `idleMs`: those of
   * processes killed or restarted (a consumer with pending entries stays: claimAbandoned takes them over
   * first). Never this process's own. Answers how many went.
   */
  async removeIdleConsumers(idleMs = this.idleConsumerMs): Promise<number> {
    await this.ensureGroup();
    const removed = await removeIdleWebhookConsumers.run(this.poller, { keys: { outbox: keys.webhookOutbox() }, args: { group: OUTBOX_GROUP, idleMs, own: this.consumer } });
    if (removed) this.log.info({ removed }, 'webhooks: removed the idle consumers of processes gone');
    return removed;
  }

  /** Deliveries whose retry is due go back into the outbox (atomic: each exactly once, whichever process). */
  async releaseDue(): Promise<number> {
    return releaseDueWebhooks.run(this.poller, { keys: { outbox: keys.webhookOutbox(), retries: keys.webhookRetries() }, args: { now: this.now(), limit: 100 } });
  }

  private finish(entryId: string) {
    return finishWebhookEntry.run(this.redis, { keys: { outbox: keys.webhookOutbox() }, args: { group: OUTBOX_GROUP, entry: entryId } });
  }

  private async handle([entryId, flat]: StreamEntry): Promise<void> {
    const f = fieldsOf(flat);
    if (f.kind === 'event' && f.org && f.event && f.body) return this.handOn(entryId, f.org, f.event, f.body);
    if (f.kind === 'delivery' && f.org && f.delivery) return this.attempt(entryId, f.org, f.delivery, f.resend ? Number(f.resend) : undefined);
    await this.finish(entryId);
  }

  /** An event becomes one delivery per endpoint that wants it (none: it is simply done). */
  private async handOn(entryId: string, orgId: string, eventId: string, sealed: string): Promise<void> {
    const rawBody = this.cipher.open(sealed, fieldContext.webhookBody(orgId, 'event', eventId));
    if (!rawBody) return void (await this.finish(entryId));
    const event = JSON.parse(rawBody) as ConsultationEvent;
    const endpoints = (await this.store.listEndpoints(orgId)).filter((e) => e.events.includes(event.type));
    const pairs: string[] = [];
    for (const endpoint of endpoints) {
      const deliveryId = await this.store.createDelivery(orgId, endpoint.id, event, rawBody, Date.parse(event.time) || this.now());
      if (deliveryId) pairs.push(orgId, deliveryId);
    }
    await handOnWebhookEvent.run(this.redis, { keys: { outbox: keys.webhookOutbox() }, args: { group: OUTBOX_GROUP, entry: entryId, deliveries: pairs } });
  }

  /** One attempt of a delivery, then: delivered, failed (past the horizon), or a retry scheduled. */
  private async attempt(entryId: string, orgId: string, deliveryId: string, resendAt?: number): Promise<void> {
    const delivery = await this.store.getDelivery(orgId, deliveryId);
    // Gone (expired, erased), or finished already (a second copy of a finished entry): nothing to do.
    if (!delivery || (resendAt === undefined && delivery.status !== 'pending')) return void (await this.finish(entryId));
    const since = resendAt ?? delivery.since;
    const endpoint = await this.store.getEndpoint(orgId, delivery.endpointId);
    const rawBody = this.store.openBody(orgId, delivery);
    const now = this.now();
    if (!endpoint || !rawBody) {
      const attempt: WebhookAttemptView = { at: now, status: null, error: endpoint ? 'error' : 'endpoint_deleted', ms: 0 };
      await this.store.recordAttempt(orgId, deliveryId, attempt, 'failed', { since });
      return void (await this.finish(entryId));
    }
    // An endpoint that hangs would otherwise fill every slot for its timeout and hold up every other
    // organization's deliveries. Past its share, a delivery to an endpoint that answers waits here for
    // its turn (holding no slot); to one that failed, it waits a moment in the retry set (not an attempt).
    const busy = this.perEndpoint.get(endpoint.id) ?? 0;
    if (busy >= this.config.WEBHOOK_CONCURRENCY_PER_ENDPOINT) {
      const queue = this.parkedFor.get(endpoint.id) ?? [];
      if (this.running && !this.failing.has(endpoint.id) && queue.length < PARKED_PER_ENDPOINT) {
        this.parkedFor.set(endpoint.id, queue);
        this.parked++;
        this.slotFreed?.();
        await new Promise<void>((resume) => queue.push(resume));
        this.parked--;
        // Stopping: the entry stays this process's, unfinished; another process takes it over.
        if (!this.running) return;
        return this.attempt(entryId, orgId, deliveryId, resendAt);
      }
      return this.retryAt(entryId, orgId, deliveryId, now + 500 + Math.floor(Math.random() * 500));
    }
    this.perEndpoint.set(endpoint.id, busy + 1);
    const unixSeconds = Math.floor(now / 1000);
    const outcome = await postWebhook(
      this.guard,
      endpoint.url,
      rawBody,
      {
        'content-type': 'application/json',
        'user-agent': 'Consult-Webhooks/1',
        [WEBHOOK_SIGNATURE_HEADER]: signatureHeader(WebhookStore.signingSecrets(endpoint, now), unixSeconds, rawBody),
      },
      this.config.WEBHOOK_TIMEOUT_MS,
    ).finally(() => {
      const left = (this.perEndpoint.get(endpoint.id) ?? 1) - 1;
      if (left > 0) this.perEndpoint.set(endpoint.id, left);
      else this.perEndpoint.delete(endpoint.id);
    });
    const attempt: WebhookAttemptView = { at: now, status: outcome.status, error: outcome.error, ms: outcome.ms };
    const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    // Its turn passes to the next parked delivery; after a failure, all of them go to the retry set.
    if (ok) this.failing.delete(endpoint.id);
    else this.failing.add(endpoint.id);
    this.wake(endpoint.id, !ok);
    const after = this.now();
    const horizon = since + this.config.WEBHOOK_GIVE_UP_AFTER_MS;
    this.attempts.emit('attempt', ok ? 'delivered' : after >= horizon ? 'failed' : 'retrying');
    if (ok || after >= horizon) {
      await this.store.recordAttempt(orgId, deliveryId, attempt, ok ? 'delivered' : 'failed', { since });
      if (!ok) this.log.info({ orgId, deliveryId, endpointId: endpoint.id }, 'webhook delivery failed for good');
      return void (await this.finish(entryId));
    }
    // The last try falls on the horizon itself, so the endpoint gets the whole period to come back.
    const next = Math.min(horizon, after + retryDelay(this.config.WEBHOOK_RETRY_BASE_MS, delivery.attempts + 1));
    await this.store.recordAttempt(orgId, deliveryId, attempt, 'pending', { nextAttemptAt: next, since });
    await this.retryAt(entryId, orgId, deliveryId, next);
  }

  /** The entry leaves the stream; its delivery waits in the retry set until `at`. */
  private async retryAt(entryId: string, orgId: string, deliveryId: string, at: number): Promise<void> {
    await retryWebhookLater.run(this.redis, { keys: { outbox: keys.webhookOutbox(), retries: keys.webhookRetries() }, args: { group: OUTBOX_GROUP, entry: entryId, delivery: `${orgId}:${deliveryId}`, at } });
  }

  /**
   * An organization's data goes (end of contract): its entries leave the outbox and the retries too. A read
   * of the whole outbox, which holds only work not done yet; rare.
   */
  async forgetOrganization(orgId: string): Promise<number> {
    let removed = 0;
    let start = '-';
    for (;;) {
      const page = (await this.redis.xrange(keys.webhookOutbox(), start, '+', 'COUNT', 1000)) as StreamEntry[];
      const doomed = page.filter(([, flat]) => fieldsOf(flat).org === orgId).map(([entryId]) => entryId);
      if (doomed.length) {
        await this.redis.xack(keys.webhookOutbox(), OUTBOX_GROUP, ...doomed).catch(() => 0);
        removed += await this.redis.xdel(keys.webhookOutbox(), ...doomed);
      }
      if (page.length < 1000) break;
      start = `(${page[page.length - 1]![0]}`;
    }
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.zscan(keys.webhookRetries(), cursor, 'MATCH', `${orgId}:*`, 'COUNT', 1000);
      cursor = next;
      const members = flat.filter((_, i) => i % 2 === 0);
      if (members.length) removed += await this.redis.zrem(keys.webhookRetries(), ...members);
    } while (cursor !== '0');
    return removed;
  }
}

/** Everything about webhooks a server holds: the endpoints and deliveries, and the outbox with its deliverer. */
export class Webhooks {
  readonly store: WebhookStore;
  readonly outbox: WebhookOutbox;

  constructor(redis: Redis, cipher: FieldCipher, config: Config, log: Logger) {
    this.store = new WebhookStore(redis, cipher);
    this.outbox = new WebhookOutbox(redis, cipher, this.store, AddressGuard.fromSetting(config.WEBHOOK_ALLOWED_ADDRESS_RANGES), config, log);
  }
}
