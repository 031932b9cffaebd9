import type { DomainEvents } from '../events/domain-events.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';

/** What settling a visit's card payment uses. */
type Settling = Pick<Services, 'log' | 'payments' | 'redis'>;

/**
 * Visits that just ended settle their card payment: captured if the visitor was ever admitted (a call
 * took place, even if they were sent back and left from the waiting room), released otherwise (denied,
 * left, lost their place; `denied`: turned away, which is never charged). In the background: a slow payment provider never holds up the waiting room or
 * the call. PaymentService decides once per visit, however often this runs.
 */
export function settleEndedVisits(s: Settling, orgId: string, visitorIds: string[], denied = false): void {
  if (!s.payments.available || visitorIds.length === 0) return;
  for (const visitorId of visitorIds) void settleWithRetries(s, orgId, visitorId, denied);
}

/** Stripe unreachable for a moment should not cost the clinic its fee: a few tries, further apart each time. */
const RETRY_DELAYS_MS = [0, 2_000, 15_000, 120_000];

async function settleWithRetries(s: Settling, orgId: string, visitorId: string, denied: boolean): Promise<void> {
  let lastError: Error | undefined;
  for (const delay of RETRY_DELAYS_MS) {
    if (delay) await new Promise((r) => setTimeout(r, delay).unref());
    try {
      const admitted = !denied && !!(await s.redis.hget(keys.visitor(orgId, visitorId), 'admittedAt'));
      const outcome = await s.payments.settleVisit(orgId, visitorId, { admitted });
      if (outcome !== 'busy') return;
    } catch (error) {
      lastError = error as Error;
    }
  }
  if (lastError) s.log.warn({ orgId, visitorId, err: lastError.message }, 'could not settle a payment; an uncaptured hold is released by Stripe after 7 days');
}

/**
 * A visit ended (the visitor left, was turned away, or their call ended): its card payment is settled,
 * left running, so the change's answer never waits for Stripe. A cancelled consultation's waiting
 * visitors: their holds are released before the cancellation answers (as it always did).
 */
export function settleOn(bus: DomainEvents, s: Settling): void {
  bus.on('visitor.left', 'payment settlement', ({ orgId, visitorId }) => settleEndedVisits(s, orgId, [visitorId]));
  bus.on('visitor.denied', 'payment settlement', ({ visitor }) => settleEndedVisits(s, visitor.orgId, [visitor.id], true));
  bus.on('call.ended', 'payment settlement', ({ call, told }) => settleEndedVisits(s, call.orgId, told.visitorIds));
  // A cancellation's answer waits for the release: whoever cancelled sees the card freed, not a hold.
  bus.on('consultation.cancelled', 'payment settlement', ({ orgId, removed, at }) => {
    if (!s.payments.available) return;
    return Promise.all(
      removed.map(({ visitorId }) =>
        s.payments.settleVisit(orgId, visitorId, { admitted: false }, at).catch((err: Error) => {
          // The purge job's sweep settles it later (the visitor is no longer waiting).
          s.log.warn({ orgId, err: err.message }, 'cancellation: could not release a card authorization yet');
        }),
      ),
    );
  });
}
