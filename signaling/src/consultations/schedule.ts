import { scheduledTimeProblem, visitorLinkOf, type CancelledBy } from '../../protocol/index.ts';
import { AppError, badField, notFound } from '../errors.ts';
import { retentionMsOf } from '../organizations/organization-store.ts';
import { keys } from '../redis/keys.ts';
import { socketRooms } from '../socket/types.ts';
import type { Services } from '../services.ts';
import type { Consultation, NewConsultation } from './consultation-store.ts';

const DAY_MS = 86_400_000;

/**
 * Makes a consultation, the same way for the dashboard and the API: its time not in the past (a couple of
 * minutes' slack for clocks) and within the next year, then the `consultation.created` event (after it is
 * stored).
 */
export async function scheduleConsultation(
  s: Services,
  c: NewConsultation,
  now = Date.now(),
): Promise<{ consultation: Consultation; visitorLink: string; expiresAt: number }> {
  const problem = c.scheduledAt !== null ? scheduledTimeProblem(c.scheduledAt, now) : null;
  if (problem) throw badField('scheduledAt', problem);
  const org = await s.organizations.getOrganization(c.orgId);
  const { consultation, token, expiresAt } = await s.consultations.create(c, retentionMsOf(org) || DAY_MS, now);
  s.log.info({ orgId: c.orgId, consultationId: consultation.id, by: c.createdBy?.startsWith('api-key:') ? 'api' : 'member' }, 'consultation scheduled');
  await s.events.emit(c.orgId, 'consultation.created', { consultationId: consultation.id, roomId: c.roomId, scheduledAt: c.scheduledAt });
  return { consultation, visitorLink: visitorLinkOf(s.config.PUBLIC_ORIGIN, token), expiresAt };
}

/** Who cancels: the visitor from their link, a member from the dashboard, or an API key. */
export type Canceller = { visitor: true } | { memberId: string } | { apiKeyId: string };

const stored = (by: Canceller) => ('visitor' in by ? 'visitor' : 'memberId' in by ? `member:${by.memberId}` : `api-key:${by.apiKeyId}`);
export const cancellerKind = (storedBy: string | null): CancelledBy | null =>
  storedBy === 'visitor' ? 'visitor' : storedBy?.startsWith('member:') ? 'member' : storedBy?.startsWith('api-key:') ? 'api' : null;

/**
 * Cancels a consultation: its link stops working at once; a visitor of it who is waiting (or still
 * checking in) leaves the line and their page says the consultation was cancelled; the dashboards drop
 * them; a card held for them is released. Refused while its visitor is in a call. Cancelling again is no
 * change (and no second event): answers whether it was cancelled already.
 */
export async function cancelConsultation(s: Services, orgId: string, consultationId: string, by: Canceller, now = Date.now()): Promise<{ alreadyCancelled: boolean }> {
  const { result, removed } = await s.consultations.cancel(orgId, consultationId, stored(by), now);
  if (result === 'not_found') throw notFound('no such consultation');
  if (result === 'consultation_in_call') throw new AppError('consultation_in_call', 'the visitor is in a call; end it first');
  if (result === 'consultation_closed') throw new AppError('consultation_closed', 'the consultation has ended');
  if (result === 'already_cancelled') return { alreadyCancelled: true };
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
  const cancelledBy = cancellerKind(stored(by))!;
  s.log.info({ orgId, consultationId, visitorsRemoved: removed.length, cancelledBy }, 'consultation cancelled');
  await s.events.emit(orgId, 'consultation.cancelled', { consultationId, roomId: record[0] ?? undefined, scheduledAt: record[1] ? Number(record[1]) : null, cancelledBy });
  return { alreadyCancelled: false };
}
