import { visitorLinkOf } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { retentionMsOf } from '../organizations/organization-store.ts';
import { keys } from '../redis/keys.ts';
import { socketRooms } from '../socket/types.ts';
import type { Services } from '../services.ts';
import type { Consultation, NewConsultation } from './consultation-store.ts';

const DAY_MS = 86_400_000;

/**
 * Makes a consultation, the same way for the dashboard and the API: its time within the next year (a day
 * back is allowed, for a clock that is a little off or a booking made during the appointment), then the
 * `consultation.created` event (after it is stored).
 */
export async function scheduleConsultation(
  s: Services,
  c: NewConsultation,
  now = Date.now(),
): Promise<{ consultation: Consultation; visitorLink: string; expiresAt: number }> {
  if (c.scheduledAt !== null && (c.scheduledAt < now - DAY_MS || c.scheduledAt > now + 365 * DAY_MS)) {
    throw new AppError('bad_request', 'scheduledAt: within the next year');
  }
  const org = await s.organizations.getOrganization(c.orgId);
  const { consultation, token, expiresAt } = await s.consultations.create(c, retentionMsOf(org) || DAY_MS, now);
  s.log.info({ orgId: c.orgId, consultationId: consultation.id, by: c.createdBy?.startsWith('api-key:') ? 'api' : 'member' }, 'consultation scheduled');
  await s.events.emit(c.orgId, 'consultation.created', { consultationId: consultation.id, roomId: c.roomId, scheduledAt: c.scheduledAt });
  return { consultation, visitorLink: visitorLinkOf(s.config.PUBLIC_ORIGIN, token), expiresAt };
}

/**
 * Cancels a consultation: its link stops working at once; a visitor of it who is waiting (or still
 * checking in) leaves the line and their page says the consultation was cancelled; the dashboards drop
 * them; a card held for them is released. Refused while its visitor is in a call. Cancelling again is no
 * change (and no second event).
 */
export async function cancelConsultation(s: Services, orgId: string, consultationId: string, now = Date.now()): Promise<void> {
  const { result, removed } = await s.consultations.cancel(orgId, consultationId, now);
  if (result === 'not_found') throw notFound('no such consultation');
  if (result === 'consultation_in_call') throw new AppError('consultation_in_call', 'the visitor is in a call; end it first');
  if (result === 'consultation_closed') throw new AppError('consultation_closed', 'the consultation has ended');
  if (result === 'already_cancelled') return;
  for (const { visitorId, roomId } of removed) {
    s.notify.visitors.to(socketRooms.visitor(orgId, visitorId)).emit('visit:cancelled');
    s.notify.visitorRemoved(orgId, { visitorId, roomId, reason: 'cancelled' });
    if (s.payments.available) {
      await s.payments.settleVisit(orgId, visitorId, { admitted: false }, now).catch((err: Error) => {
        // The purge job's sweep settles it later (the visitor is no longer waiting).
        s.log.warn({ orgId, err: err.message }, 'cancellation: could not release a card authorization yet');
      });
    }
  }
  const record = await s.redis.hmget(keys.consultation(orgId, consultationId), 'roomId', 'scheduledAt');
  s.log.info({ orgId, consultationId, visitorsRemoved: removed.length }, 'consultation cancelled');
  await s.events.emit(orgId, 'consultation.cancelled', { consultationId, roomId: record[0] ?? undefined, scheduledAt: record[1] ? Number(record[1]) : null });
}
