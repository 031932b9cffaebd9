import { scheduledTimeProblem, visitorLinkOf, type CancelledBy } from '../../protocol/index.ts';
import { AppError, badField, notFound } from '../errors.ts';
import { retentionMsOf } from '../organizations/organization-store.ts';
import { keys } from '../redis/keys.ts';
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
export async function cancelConsultation(
  s: Pick<Services, 'consultations' | 'redis' | 'log' | 'domainEvents'>,
  orgId: string,
  consultationId: string,
  by: Canceller,
  now = Date.now(),
): Promise<{ alreadyCancelled: boolean }> {
  const { result, removed } = await s.consultations.cancel(orgId, consultationId, stored(by), now);
  if (result === 'not_found') throw notFound('no such consultation');
  if (result === 'consultation_in_call') throw new AppError('consultation_in_call', 'the visitor is in a call; end it first');
  if (result === 'consultation_closed') throw new AppError('consultation_closed', 'the consultation has ended');
  if (result === 'already_cancelled') return { alreadyCancelled: true };
  const [roomId, scheduledAt] = await s.redis.hmget(keys.consultation(orgId, consultationId), 'roomId', 'scheduledAt');
  const cancelledBy = cancellerKind(stored(by))!;
  s.log.info({ orgId, consultationId, visitorsRemoved: removed.length, cancelledBy }, 'consultation cancelled');
  // The visitors' pages and the dashboards told, a card held released, the event for its EHR: subscribers.
  await s.domainEvents.publish('consultation.cancelled', {
    orgId,
    consultationId,
    roomId: roomId ?? null,
    scheduledAt: scheduledAt ? Number(scheduledAt) : null,
    cancelledBy,
    removed,
    at: now,
  });
  return { alreadyCancelled: false };
}
