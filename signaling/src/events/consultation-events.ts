import type { Redis } from 'ioredis';
import type { ConsultationEvent, ConsultationEventData, ConsultationEventType } from '../../protocol/index.ts';
import { fieldContext, type FieldCipher } from '../crypto/field-cipher.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import { keys } from '../redis/keys.ts';
import { noteConsultationProgress } from './events-scripts.ts';
import type { DomainEvents } from './domain-events.ts';

export type ConsultationEventListener = (event: ConsultationEvent) => Promise<void>;
/**
 * Whether a listener wants an organization's events at all: asked in the same round trip as the event's
 * own reads, so a listener with nothing to do there (no webhook endpoint) costs nothing more.
 */
export type ConsultationEventInterest = (orgId: string) => Promise<boolean>;

/** A prepared answer of the listeners' interest serves an event this long after it was asked, at most. */
const PREPARED_INTEREST_MS = 250;

/** What a feature says happened: the event's facts, and the consultation if it knows it (else found by the visitor). */
export type EventFacts = ConsultationEventData & { consultationId?: string | null };

/**
 * The one place where what happens to a consultation becomes a consultation event (the shape EHR systems
 * hear through webhooks): the consultation's progress (its state and times, for the API) moves, then its
 * listeners hear it. It hears the state changes through the domain events (`consultationEventsOn`);
 * bookings call `emit` themselves.
 *
 * By design a projection with its own consumers, not a second bus: its listeners (the webhook outbox, the
 * embedded views, the dashboards' lists of upcoming consultations) need what only the projection has,
 * the event's id and external reference, or the consultation's progress written first (an embedded view
 * ends when the consultation is over). Anything that needs only the change itself (a receipt e-mail on a
 * captured payment) subscribes to the domain event instead.
 * It never throws (a failure is logged), so reporting cannot undo or hold up an admission.
 */
export class ConsultationEvents {
  private readonly listeners: { listener: ConsultationEventListener; wants?: ConsultationEventInterest }[] = [];
  /** The listeners' interest in an organization's events, asked ahead with the change an event will report. */
  private readonly prepared = new Map<string, { interest: Promise<boolean[]>; at: number; uses: number }>();
  /** The last event of each visitor on its way out: the next one waits for it, so listeners hear them in order. */
  private readonly lastOfVisitor = new Map<string, Promise<unknown>>();

  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
    private readonly log: Logger,
  ) {}

  subscribe(listener: ConsultationEventListener, wants?: ConsultationEventInterest): void {
    this.listeners.push({ listener, ...(wants ? { wants } : {}) });
  }

  /**
   * Asks now whether the listeners want this organization's events, for its next event (see
   * DomainEvents.prepare): the answer goes out with the change the event will report, a moment before it.
   * `uses`: the events the change will report (an admission: the admission and its call's start).
   */
  prepare(orgId: string, uses = 1): void {
    const interest = this.interestOf(orgId);
    interest.catch(() => undefined);
    this.prepared.set(orgId, { interest, at: Date.now(), uses });
  }

  private interestOf(orgId: string): Promise<boolean[]> {
    return Promise.all(this.listeners.map(({ wants }) => (wants ? wants(orgId) : true)));
  }

  /** A prepared answer, used as many times as it was prepared for and only while fresh; otherwise asked now. */
  private interestFor(orgId: string): Promise<boolean[]> {
    const prepared = this.prepared.get(orgId);
    if (prepared && --prepared.uses <= 0) this.prepared.delete(orgId);
    return prepared && Date.now() - prepared.at <= PREPARED_INTEREST_MS ? prepared.interest : this.interestOf(orgId);
  }

  /**
   * Reports one event. Events of one visitor reach the listeners in the order they were emitted (an
   * admission before its call's start, before its end), whichever of them needed more reads.
   */
  emit(orgId: string, type: ConsultationEventType, facts: EventFacts, now = Date.now()): Promise<ConsultationEvent | null> {
    if (!facts.visitorId) return this.report(orgId, type, facts, now);
    const key = `${orgId}:${facts.visitorId}`;
    const before = this.lastOfVisitor.get(key);
    // Its own reads go out at once; only the hand-over to the listeners waits for the one before.
    const reported = this.report(orgId, type, facts, now, before);
    this.lastOfVisitor.set(key, reported);
    void reported.finally(() => {
      if (this.lastOfVisitor.get(key) === reported) this.lastOfVisitor.delete(key);
    });
    return reported;
  }

  private async report(orgId: string, type: ConsultationEventType, facts: EventFacts, now: number, before?: Promise<unknown>): Promise<ConsultationEvent | null> {
    try {
      const { consultationId: given, ...data } = facts;
      const [consultationId, wanted] = await Promise.all([
        given !== undefined ? given : data.visitorId ? this.consultationOfVisitor(orgId, data.visitorId) : null,
        this.interestFor(orgId),
      ]);
      let externalReference: string | null = null;
      if (consultationId) {
        const key = keys.consultation(orgId, consultationId);
        const callMs = type === 'call.ended' && data.durationSeconds !== undefined ? String(data.durationSeconds * 1000) : '';
        const [, stored] = await Promise.all([
          noteConsultationProgress.run(this.redis, { keys: { consultation: key }, args: { type, now, visitorId: data.visitorId ?? '', callMs } }),
          this.redis.hget(key, 'externalReference'),
        ]);
        externalReference = this.cipher.open(stored, fieldContext.consultationField(orgId, consultationId, 'externalReference'));
      }
      const event: ConsultationEvent = {
        id: newId(),
        type,
        time: new Date(now).toISOString(),
        organizationId: orgId,
        consultationId,
        externalReference,
        data,
      };
      await before;
      await Promise.all(this.listeners.filter((_, i) => wanted[i]).map(({ listener }) => listener(event)));
      return event;
    } catch (err) {
      this.log.error({ orgId, type, err: (err as Error).message }, 'could not report a consultation event');
      return null;
    }
  }

  private async consultationOfVisitor(orgId: string, visitorId: string): Promise<string | null> {
    return (await this.redis.hget(keys.visitor(orgId, visitorId), 'consultationId')) || null;
  }
}

/**
 * The waiting room's and the call's state changes, as consultation events. Kept beside the audit entry
 * (in its round trip) where the change has one; an arrival is told first, so the dashboards hear of it
 * without waiting for this.
 */
export function consultationEventsOn(bus: DomainEvents, events: ConsultationEvents): void {
  // Whether the organization has a webhook endpoint is asked with the check-in's own script.
  bus.onPrepare('visitor.arrived', (orgId) => events.prepare(orgId));
  // An admission's answer waits for its events' reads (its audit entries no longer share their round trip).
  bus.onPrepare('visitor.admitted', (orgId) => events.prepare(orgId, 2));
  bus.on('visitor.arrived', 'consultation events', ({ visitor, room }) =>
    events.emit(room.orgId, 'visitor.arrived', { visitorId: visitor.id, roomId: room.id, consultationId: visitor.consultationId ?? null }),
  );
  bus.on('visitor.left', 'consultation events', ({ orgId, visitorId, roomId, callId, reason, consultationId }) =>
    events.emit(orgId, 'visitor.left', { visitorId, roomId, ...(callId ? { callId } : {}), reason, ...(consultationId !== undefined ? { consultationId } : {}) }),
  );
  bus.on(
    'visitor.denied',
    'consultation events',
    ({ visitor }) => events.emit(visitor.orgId, 'visitor.denied', { visitorId: visitor.id, roomId: visitor.roomId, consultationId: visitor.consultationId ?? null }),
    'record',
  );
  bus.on(
    'visitor.transferred',
    'consultation events',
    ({ visitor, to }) =>
      events.emit(visitor.orgId, 'visitor.transferred', { visitorId: visitor.id, roomId: to.id, fromRoomId: visitor.roomId, consultationId: visitor.consultationId ?? null }),
    'record',
  );
  bus.on('visitor.admitted', 'consultation events', ({ visitor, callId }) =>
    events.emit(visitor.orgId, 'visitor.admitted', { visitorId: visitor.id, roomId: visitor.roomId, callId, consultationId: visitor.consultationId ?? null }),
  );
  bus.on('call.started', 'consultation events', ({ visitor, callId }) =>
    events.emit(visitor.orgId, 'call.started', { visitorId: visitor.id, roomId: visitor.roomId, callId, consultationId: visitor.consultationId ?? null }),
  );
  bus.on(
    'call.ended',
    'consultation events',
    ({ call, endedAt, told }) => {
      // Each consultation in the call hears its end (a visitor who left first: the call's own visitor's).
      const durationSeconds = Math.max(0, Math.round((endedAt - call.startedAt) / 1000));
      const visitorIds = told.visitorIds.length ? told.visitorIds : [call.visitorId];
      return Promise.all(visitorIds.map((visitorId) => events.emit(call.orgId, 'call.ended', { visitorId, roomId: call.roomId, callId: call.id, durationSeconds })));
    },
    'record',
  );
  bus.on('payment.settled', 'consultation events', ({ orgId, visitorId, outcome, amount, currency, settledAt, consultationId }) =>
    outcome === 'captured'
      ? events.emit(orgId, 'payment.captured', { visitorId, amount, ...(currency ? { currency } : {}), ...(consultationId !== undefined ? { consultationId } : {}) }, settledAt)
      : undefined,
  );
  bus.on('consultation.cancelled', 'consultation events', ({ orgId, consultationId, roomId, scheduledAt, cancelledBy }) =>
    events.emit(orgId, 'consultation.cancelled', { consultationId, roomId: roomId ?? undefined, scheduledAt, cancelledBy }),
  );
}
