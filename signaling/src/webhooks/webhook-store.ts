import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  consultationEventTypes,
  WEBHOOK_DELIVERY_KEEP_DAYS,
  type ConsultationEventType,
  type WebhookAttemptView,
  type WebhookDeliveryDetail,
  type WebhookDeliveryStatus,
  type WebhookDeliveryView,
  type WebhookEndpointView,
} from '../../protocol/index.ts';
import { fieldContext, type FieldCipher } from '../crypto/field-cipher.ts';
import { newId } from '../ids.ts';
import { keys } from '../redis/keys.ts';
import { createWebhookDelivery, recordWebhookAttempt } from './webhook-scripts.ts';
import { decodePageCursor, encodePageCursor, isAfterCursor, type PageCursor } from '../http/page-cursor.ts';
import { newWebhookSecret } from './webhook-signature.ts';

export const WEBHOOK_DELIVERY_KEEP_MS = WEBHOOK_DELIVERY_KEEP_DAYS * 86_400_000;
/** How many index entries one list request reads at most, in batches (a filter that matches little still answers soon). */
const SCAN_DELIVERIES = 4000;
const DELIVERY_BATCH = 200;

/** An endpoint as the deliverer needs it: with its secrets in clear (never sent to a browser). */
export interface WebhookEndpoint extends WebhookEndpointView {
  secret: string | null;
  previousSecret: string | null;
}

/** A delivery as stored, its body still sealed. */
export interface StoredDelivery extends WebhookDeliveryView {
  body: string;
  /** When the current run of tries began (the event, or an admin's resend): the give-up horizon counts from it. */
  since: number;
}

const num = (v: string | undefined | null) => (v ? Number(v) : null);
const eventsOf = (v: string | undefined) => (v ? v.split(',') : []).filter((e): e is ConsultationEventType => (consultationEventTypes as readonly string[]).includes(e));

/** A delivery's id follows from its event and endpoint, so handing an event on twice (after a crash) makes it once. */
export const deliveryIdOf = (eventId: string, endpointId: string) => createHash('sha256').update(`${eventId}:${endpointId}`).digest('hex').slice(0, 32);

function attemptOf(json: string | undefined | null): WebhookAttemptView | null {
  if (!json) return null;
  try {
    const a = JSON.parse(json) as WebhookAttemptView;
    return { at: a.at, status: a.status ?? null, error: a.error ?? null, ms: a.ms };
  } catch {
    return null;
  }
}

/** Endpoints (settings, kept until deleted) and deliveries (kept 30 days at most) of each organization. */
export class WebhookStore {
  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
  ) {}

  // ---------- endpoints ----------

  async listEndpoints(orgId: string): Promise<WebhookEndpoint[]> {
    const ids = await this.redis.smembers(keys.webhookEndpoints(orgId));
    const found = await Promise.all(ids.map((id) => this.getEndpoint(orgId, id)));
    return found.filter((e): e is WebhookEndpoint => !!e).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** Whether the organization has any endpoint (a webhook event is kept for delivery only then). */
  async hasEndpoints(orgId: string): Promise<boolean> {
    return (await this.redis.scard(keys.webhookEndpoints(orgId))) > 0;
  }

  async countEndpoints(orgId: string): Promise<number> {
    return this.redis.scard(keys.webhookEndpoints(orgId));
  }

  async getEndpoint(orgId: string, endpointId: string): Promise<WebhookEndpoint | null> {
    const h = await this.redis.hgetall(keys.webhookEndpoint(orgId, endpointId));
    if (!h.url) return null;
    return {
      id: endpointId,
      url: h.url,
      events: eventsOf(h.events),
      createdAt: Number(h.createdAt),
      secretCreatedAt: Number(h.secretCreatedAt),
      previousSecretUntil: h.previousSecret ? num(h.previousSecretUntil) : null,
      secret: this.cipher.open(h.secret, fieldContext.webhookSecret(orgId, endpointId, 'secret')),
      previousSecret: this.cipher.open(h.previousSecret, fieldContext.webhookSecret(orgId, endpointId, 'previousSecret')),
    };
  }

  async createEndpoint(orgId: string, settings: { url: string; events: ConsultationEventType[] }, now = Date.now()): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const endpointId = newId();
    const secret = newWebhookSecret();
    await this.redis
      .multi()
      .hset(keys.webhookEndpoint(orgId, endpointId), {
        url: settings.url,
        events: settings.events.join(','),
        createdAt: now,
        secretCreatedAt: now,
        secret: this.cipher.encrypt(secret, fieldContext.webhookSecret(orgId, endpointId, 'secret')),
      })
      .sadd(keys.webhookEndpoints(orgId), endpointId)
      .exec();
    return { endpoint: (await this.getEndpoint(orgId, endpointId))!, secret };
  }

  async updateEndpoint(orgId: string, endpointId: string, change: { url?: string; events?: ConsultationEventType[] }): Promise<void> {
    const fields: Record<string, string> = {};
    if (change.url !== undefined) fields.url = change.url;
    if (change.events !== undefined) fields.events = change.events.join(',');
    await this.redis.hset(keys.webhookEndpoint(orgId, endpointId), fields);
  }

  /**
   * A new secret; the current one becomes the previous one and still signs until `now + overlapMs` (with no
   * overlap it is dropped at once). A previous secret still in its overlap is replaced.
   */
  async rotateSecret(orgId: string, endpoint: WebhookEndpoint, overlapMs: number, now = Date.now()): Promise<string> {
    const secret = newWebhookSecret();
    const key = keys.webhookEndpoint(orgId, endpoint.id);
    const tx = this.redis.multi().hset(key, { secret: this.cipher.encrypt(secret, fieldContext.webhookSecret(orgId, endpoint.id, 'secret')), secretCreatedAt: now });
    if (overlapMs > 0 && endpoint.secret) {
      tx.hset(key, {
        previousSecret: this.cipher.encrypt(endpoint.secret, fieldContext.webhookSecret(orgId, endpoint.id, 'previousSecret')),
        previousSecretUntil: now + overlapMs,
      });
    } else tx.hdel(key, 'previousSecret', 'previousSecretUntil');
    await tx.exec();
    return secret;
  }

  /** The overlap ends now: only the current secret signs (the receiver has the new one). */
  async endOverlap(orgId: string, endpointId: string): Promise<void> {
    await this.redis.hdel(keys.webhookEndpoint(orgId, endpointId), 'previousSecret', 'previousSecretUntil');
  }

  /** The endpoint goes; its deliveries stay listed until they expire, and are not tried again. */
  async removeEndpoint(orgId: string, endpointId: string): Promise<void> {
    await this.redis.multi().del(keys.webhookEndpoint(orgId, endpointId)).srem(keys.webhookEndpoints(orgId), endpointId).exec();
  }

  /** The secrets that sign a delivery made at `now`: the current one, and the previous one during its overlap. */
  static signingSecrets(endpoint: WebhookEndpoint, now: number): string[] {
    const secrets = endpoint.secret ? [endpoint.secret] : [];
    if (endpoint.previousSecret && endpoint.previousSecretUntil !== null && now < endpoint.previousSecretUntil) secrets.push(endpoint.previousSecret);
    return secrets;
  }

  static view(e: WebhookEndpoint): WebhookEndpointView {
    return { id: e.id, url: e.url, events: e.events, createdAt: e.createdAt, secretCreatedAt: e.secretCreatedAt, previousSecretUntil: e.previousSecretUntil };
  }

  // ---------- deliveries ----------

  /** A delivery of the event (its exact body, sealed) to the endpoint; 'not_found' if the organization is gone. */
  async createDelivery(
    orgId: string,
    endpointId: string,
    event: { id: string; type: ConsultationEventType; data?: { visitorId?: string } },
    rawBody: string,
    now = Date.now(),
  ): Promise<string | null> {
    const deliveryId = deliveryIdOf(event.id, endpointId);
    const sealed = this.cipher.encrypt(rawBody, fieldContext.webhookBody(orgId, 'delivery', deliveryId));
    const result = await createWebhookDelivery.run(this.redis, {
      keys: { org: keys.organization(orgId), delivery: keys.webhookDelivery(orgId, deliveryId), deliveries: keys.webhookDeliveries(orgId) },
      args: { deliveryId, endpointId, eventId: event.id, type: event.type, now, body: sealed, keepMs: WEBHOOK_DELIVERY_KEEP_MS, visitorId: event.data?.visitorId ?? '' },
    });
    return result === 'ok' ? deliveryId : null;
  }

  /**
   * A visitor's erasure: the deliveries of events about them (their sealed bodies name them and carry the
   * consultation's reference) go with their attempt logs, delivered or not. Answers how many.
   */
  async forgetVisitor(orgId: string, visitorId: string): Promise<number> {
    const ids = await this.redis.zrange(keys.webhookDeliveries(orgId), '0', '-1');
    if (ids.length === 0) return 0;
    const read = this.redis.pipeline();
    for (const id of ids) read.hget(keys.webhookDelivery(orgId, id), 'visitorId');
    const owners = (await read.exec()) ?? [];
    const theirs = ids.filter((_, n) => owners[n]?.[1] === visitorId);
    if (theirs.length === 0) return 0;
    const tx = this.redis.multi();
    for (const id of theirs) tx.del(keys.webhookDelivery(orgId, id), keys.webhookAttempts(orgId, id));
    tx.zrem(keys.webhookDeliveries(orgId), ...theirs);
    await tx.exec();
    return theirs.length;
  }

  async getDelivery(orgId: string, deliveryId: string): Promise<StoredDelivery | null> {
    const h = await this.redis.hgetall(keys.webhookDelivery(orgId, deliveryId));
    if (!h.endpointId) return null;
    return {
      id: deliveryId,
      endpointId: h.endpointId,
      eventId: h.eventId ?? '',
      eventType: (h.type ?? '') as ConsultationEventType,
      createdAt: Number(h.createdAt),
      status: (h.status ?? 'pending') as WebhookDeliveryStatus,
      attempts: Number(h.attempts ?? 0),
      lastAttempt: attemptOf(h.lastAttempt),
      nextAttemptAt: h.status === 'pending' ? num(h.nextAttemptAt) : null,
      deliveredAt: num(h.deliveredAt),
      body: h.body ?? '',
      since: Number(h.since ?? h.createdAt),
    };
  }

  /** The delivery's body as it is sent (null if it cannot be read: its key is gone). */
  openBody(orgId: string, delivery: StoredDelivery): string | null {
    return this.cipher.open(delivery.body, fieldContext.webhookBody(orgId, 'delivery', delivery.id));
  }

  async recordAttempt(
    orgId: string,
    deliveryId: string,
    attempt: WebhookAttemptView,
    status: WebhookDeliveryStatus,
    opts: { nextAttemptAt?: number; since?: number } = {},
  ): Promise<void> {
    await recordWebhookAttempt.run(this.redis, {
      keys: { delivery: keys.webhookDelivery(orgId, deliveryId), attempts: keys.webhookAttempts(orgId, deliveryId) },
      args: { attempt: JSON.stringify(attempt), status, now: attempt.at, nextAttemptAt: opts.nextAttemptAt ?? '', since: opts.since ?? '' },
    });
  }

  /**
   * Newest first, at most `limit`, filtered by endpoint and status; `cursor`: the previous page's
   * nextCursor. The cursor is the last entry read (its time and id), not its time alone: one event goes to
   * several endpoints in the same millisecond, and paging by time would skip or repeat some of them. A
   * request reads at most SCAN_DELIVERIES entries, so a filtered page may be short and still have a next one.
   */
  async listDeliveries(
    orgId: string,
    filter: { endpointId?: string; status?: WebhookDeliveryStatus; cursor?: string; limit?: number },
  ): Promise<{ deliveries: WebhookDeliveryView[]; nextCursor: string | null }> {
    const limit = filter.limit ?? 50;
    const after = filter.cursor ? decodePageCursor(filter.cursor) : null;
    // The cursor's own time is read again (inclusive), for the entries of that millisecond not shown yet.
    const max = after ? after.score : '+inf';
    const deliveries: WebhookDeliveryView[] = [];
    let last: PageCursor | null = after;
    let offset = 0;
    while (offset < SCAN_DELIVERIES) {
      const flat = await this.redis.zrevrangebyscore(keys.webhookDeliveries(orgId), max, '-inf', 'WITHSCORES', 'LIMIT', offset, DELIVERY_BATCH);
      offset += flat.length / 2;
      const entries: PageCursor[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const entry = { id: flat[i]!, score: Number(flat[i + 1]) };
        if (isAfterCursor(entry, after)) entries.push(entry);
      }
      const found = await Promise.all(entries.map((e) => this.getDelivery(orgId, e.id)));
      for (let i = 0; i < entries.length; i++) {
        last = entries[i]!;
        const d = found[i];
        if (!d || (filter.endpointId && d.endpointId !== filter.endpointId) || (filter.status && d.status !== filter.status)) continue;
        const { body: _body, since: _since, ...view } = d;
        deliveries.push(view);
        if (deliveries.length === limit) return { deliveries, nextCursor: encodePageCursor(last) };
      }
      if (flat.length < 2 * DELIVERY_BATCH) return { deliveries, nextCursor: null };
    }
    return { deliveries, nextCursor: last ? encodePageCursor(last) : null };
  }

  /** Whether a cursor is one listDeliveries made (anything else is a bad request). */
  static validCursor(cursor: string): boolean {
    return decodePageCursor(cursor) !== null;
  }

  async deliveryDetail(orgId: string, deliveryId: string): Promise<WebhookDeliveryDetail | null> {
    const d = await this.getDelivery(orgId, deliveryId);
    if (!d) return null;
    const log = await this.redis.lrange(keys.webhookAttempts(orgId, deliveryId), 0, -1);
    const { body: _body, since: _since, ...view } = d;
    return { ...view, attemptLog: log.map(attemptOf).filter((a): a is WebhookAttemptView => !!a) };
  }
}
