import type { Redis } from 'ioredis';
import type { ConsultationEvent, ConsultationEventData, ConsultationEventType } from '../../protocol/index.ts';
import { fieldContext, type FieldCipher } from '../crypto/field-cipher.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import { keys } from '../redis/keys.ts';
import { noteConsultationProgress } from './events-scripts.ts';

export type ConsultationEventListener = (event: ConsultationEvent) => Promise<void>;

/** What a feature says happened: the event's facts, and the consultation if it knows it (else found by the visitor). */
export type EventFacts = ConsultationEventData & { consultationId?: string | null };

/**
 * The one place where what happens in the waiting room and the call becomes a consultation event: the
 * consultation's progress (its state and times, for the API) moves, and every listener (the webhook
 * outbox) hears it. Features call `emit` after the change they report is stored; it never throws (a
 * failure is logged), so reporting cannot undo or hold up an admission.
 */
export class ConsultationEvents {
  private readonly listeners: ConsultationEventListener[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
    private readonly log: Logger,
  ) {}

  subscribe(listener: ConsultationEventListener): void {
    this.listeners.push(listener);
  }

  async emit(orgId: string, type: ConsultationEventType, facts: EventFacts, now = Date.now()): Promise<ConsultationEvent | null> {
    try {
      const { consultationId: given, ...data } = facts;
      const consultationId = given !== undefined ? given : data.visitorId ? await this.consultationOfVisitor(orgId, data.visitorId) : null;
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
      await Promise.all(this.listeners.map((listener) => listener(event)));
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
