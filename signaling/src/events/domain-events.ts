import type { CancelledBy } from '../../protocol/index.ts';
import type { Logger } from '../logger.ts';
import type { AuditActorContext } from '../audit/audit-context.ts';
import type { Call } from '../calls/call-store.ts';
import type { Room } from '../organizations/organization-store.ts';
import type { Visitor } from '../waiting-room/waiting-room-store.ts';
import type { LineNow } from '../waiting-room/queue-place.ts';

/**
 * The state changes of a visit and its call, each published once, after the change is stored, by the code
 * that made it. What follows from a change (the browsers told, the audit entry, the webhook event, the
 * card payment settled, the others in line told their places, an SMS) is done by subscribers, one file
 * each beside its feature, never sequenced by the handler that made the change.
 *
 * Each event carries what its subscribers need as the change left it (the visitor as read for it, the
 * member who acted as the audit log names them), so a subscriber reads Redis only for what is its own.
 */
export interface DomainEventMap {
  /** A visitor entered a room's line: from the check-in form, or (`afterSteps`) once BankID or the payment was done. */
  'visitor.arrived': { visitor: Visitor; room: Room; afterSteps: boolean };
  /**
   * A visitor's visit ended by their own leaving: from the line (`left`), by losing their connection for
   * longer than the grace period (`connection_lost`), or from a call that goes on without them (`callId`).
   * `consultationId`: their consultation (null: none) where the publisher read it with the visitor.
   */
  'visitor.left': { orgId: string; visitorId: string; roomId: string; reason: 'left' | 'connection_lost'; callId?: string; consultationId?: string | null };
  /** A member turned a waiting visitor away; `message` goes to the visitor only. */
  'visitor.denied': { visitor: Visitor; message?: string; actor: AuditActorContext; by: string };
  /** A member moved a waiting visitor to another room's line (`visitor`: as they were, in the room they left). */
  'visitor.transferred': { visitor: Visitor; to: Room; actor: AuditActorContext; by: string };
  /**
   * A member admitted a waiting visitor (`visitor`: as they waited): into a new call, or into an ongoing
   * one (`intoOngoingCall`). `lineNow`: the room's line as the admission left it, when it read it.
   */
  'visitor.admitted': {
    visitor: Visitor;
    callId: string;
    actor: AuditActorContext;
    by: string;
    intoOngoingCall: boolean;
    lineNow: LineNow | null;
    embedded?: boolean;
  };
  /** A member sent a visitor back from the call to wait again, first in line (`visitor`: as they now wait). */
  'visitor.sent-back': { visitor: Visitor; callId: string; actor: AuditActorContext };
  /** A call began with an admission. */
  'call.started': { visitor: Visitor; callId: string; actor: AuditActorContext };
  /**
   * A call ended: `by` the role that ended it, or `abandoned` (everyone's connection stayed away). `told`:
   * its members at the end (visitors sent back to wait are not among them).
   */
  'call.ended': {
    call: Call;
    endedAt: number;
    by: 'visitor' | 'professional' | 'abandoned';
    actor: AuditActorContext | { orgId: string; actor: 'system' };
    told: { visitorIds: string[]; professionalIds: string[] };
  };
  /**
   * A visit's card payment was settled with Stripe: captured (after an admission) or released, at
   * `settledAt`. `consultationId`: the visit's consultation (null: none) where the publisher knows it.
   */
  'payment.settled': {
    orgId: string;
    visitorId: string;
    outcome: 'captured' | 'released';
    amount: number;
    currency?: string;
    settledAt: number;
    consultationId?: string | null;
  };
  /**
   * A consultation was cancelled before its call, at `at`: its link stopped working, and `removed` are its
   * visitors who were waiting or still checking in, now out of the line. `roomId` and `scheduledAt` as it
   * was booked. Its reminders and queued e-mails need no subscriber: they are dropped when their time
   * comes, by the consultation's stored state.
   */
  'consultation.cancelled': {
    orgId: string;
    consultationId: string;
    roomId: string | null;
    scheduledAt: number | null;
    cancelledBy: CancelledBy;
    removed: { visitorId: string; roomId: string }[];
    at: number;
  };
}

export type DomainEventType = keyof DomainEventMap;

export const domainEventTypes: readonly DomainEventType[] = [
  'visitor.arrived',
  'visitor.left',
  'visitor.denied',
  'visitor.transferred',
  'visitor.admitted',
  'visitor.sent-back',
  'call.started',
  'call.ended',
  'payment.settled',
  'consultation.cancelled',
];

/**
 * `record`: keeps what happened (the audit entry). `tell`: acts on it (browsers, places, webhook, payment).
 * A subscriber returns a promise only for work the change's answer waits for; anything slow (Stripe, SMS)
 * it starts and leaves running.
 */
export type Stage = 'record' | 'tell';
export type DomainSubscriber<K extends DomainEventType> = (event: DomainEventMap[K]) => void | Promise<unknown>;

/**
 * An admission is told first: the visitor and the dashboards hear of it at once, and the admission is
 * answered then. Its records (the audit entries, each hashed into the chain by a script that holds Redis
 * while it runs) are held back until the visitor's `call:join` is answered (`release`), so they do not
 * compete with the join's own reads on the critical path of the first frame; at most RECORDS_HELD_MS if
 * the visitor never joins. Every other change is recorded first, so whoever hears of it (a dashboard, an
 * admin reading the audit log right after) finds it in the audit log; it first writes any records held
 * back, so the chain keeps the order in which things happened.
 */
const TELL_FIRST: ReadonlySet<DomainEventType> = new Set(['visitor.admitted', 'call.started']);
const RECORDS_HELD_MS = 1000;

/**
 * The one in-process bus of state changes. `publish` runs the subscribers in the order they subscribed
 * (within each stage) and resolves when the work they return is done (an admission: its telling); it never
 * rejects: a subscriber's failure is logged, and never undoes or holds up the change, nor keeps the others
 * from running.
 */
export class DomainEvents {
  private readonly subscribers = new Map<DomainEventType, { stage: Stage; name: string; run: DomainSubscriber<never> }[]>();
  private readonly preparers = new Map<DomainEventType, ((orgId: string) => void)[]>();
  /** Records held back, by call, in the order published; each call's timer writes them if nobody releases them. */
  private readonly held = new Map<string, { orgId: string; records: (() => Promise<void>)[]; timer: NodeJS.Timeout }>();
  /** Held records being written: `flush` waits for them. */
  private readonly writing = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  /**
   * A subscriber's reads for an organization's next event of this type that do not depend on the change
   * (whether anyone outside wants the event): started by `prepare`, they go out in the change's round trip.
   */
  onPrepare(type: DomainEventType, preparer: (orgId: string) => void): void {
    const list = this.preparers.get(type) ?? [];
    list.push(preparer);
    this.preparers.set(type, list);
  }

  /**
   * Called by a publisher right before it makes a change it will publish, in the same tick: the subscribers'
   * own reads share the change's round trip. A change refused leaves them unused; nothing else happens.
   */
  prepare(type: DomainEventType, orgId: string): void {
    for (const preparer of this.preparers.get(type) ?? []) {
      try {
        preparer(orgId);
      } catch (err) {
        this.log.warn({ event: type, err: (err as Error).message }, 'a subscriber could not prepare for a state change');
      }
    }
  }

  on<K extends DomainEventType>(type: K, name: string, subscriber: DomainSubscriber<K>, stage: Stage = 'tell'): void {
    const list = this.subscribers.get(type) ?? [];
    list.push({ stage, name, run: subscriber as DomainSubscriber<never> });
    this.subscribers.set(type, list);
  }

  async publish<K extends DomainEventType>(type: K, event: DomainEventMap[K]): Promise<void> {
    const list = this.subscribers.get(type) ?? [];
    const stage = (name: Stage) => list.filter((s) => s.stage === name);
    const runAll = (subscribers: typeof list) => Promise.all(subscribers.map((s) => this.run(type, s.name, () => (s.run as DomainSubscriber<K>)(event)))).then(() => undefined);
    if (TELL_FIRST.has(type)) {
      const records = stage('record');
      const { visitor, callId } = event as DomainEventMap['visitor.admitted'];
      if (records.length) this.hold(visitor.orgId, callId, () => runAll(records));
      await runAll(stage('tell'));
      return;
    }
    this.releaseAll(orgOf(event));
    // Recorded before told: the second stage starts when the first is done.
    await runAll(stage('record'));
    await runAll(stage('tell'));
  }

  /** The visitor's join of this call was answered: the admission's records are written now. */
  release(callId: string): void {
    const held = this.held.get(callId);
    if (!held) return;
    this.held.delete(callId);
    clearTimeout(held.timer);
    // Started in the order published: one connection keeps that order into the chain.
    const written = Promise.all(held.records.map((record) => record())).then(() => undefined);
    this.writing.add(written);
    void written.finally(() => this.writing.delete(written));
  }

  /** Writes every record held back and resolves when all are written (before the process stops). */
  async flush(): Promise<void> {
    this.releaseAll();
    await Promise.all([...this.writing]);
  }

  /** Releases what is held for the organization (its audit chain), or for all. */
  private releaseAll(orgId?: string): void {
    for (const [callId, held] of [...this.held]) if (orgId === undefined || held.orgId === orgId) this.release(callId);
  }

  private hold(orgId: string, callId: string, records: () => Promise<void>): void {
    const held = this.held.get(callId);
    if (held) held.records.push(records);
    else this.held.set(callId, { orgId, records: [records], timer: setTimeout(() => this.release(callId), RECORDS_HELD_MS) });
  }

  private async run(type: DomainEventType, subscriber: string, work: () => void | Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.log.error({ event: type, subscriber, err: (err as Error).message }, 'a subscriber to a state change failed');
    }
  }
}

/** The organization a change happened in (whose audit chain its records go to); undefined: not known here. */
function orgOf(event: DomainEventMap[DomainEventType]): string | undefined {
  if ('orgId' in event) return event.orgId;
  if ('visitor' in event) return event.visitor.orgId;
  if ('call' in event) return event.call.orgId;
  return undefined;
}
