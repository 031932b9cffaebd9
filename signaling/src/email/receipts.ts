import type { DomainEvents } from '../events/domain-events.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';

/**
 * A visitor's card payment was captured: if the visitor of that consultation was written to by e-mail (an
 * invitation, a reminder), their receipt goes to the same address in the same language. One receipt per
 * payment, however often the settlement is heard. A subscriber of the payment's own state change, like
 * the consultation events are: the payment code does not know e-mail exists.
 */
export function receiptsOn(bus: DomainEvents, s: Pick<Services, 'email' | 'log' | 'redis'>): void {
  bus.on('payment.settled', 'receipt e-mail', async ({ orgId, visitorId, outcome, amount, currency, settledAt, consultationId: given }) => {
    if (outcome !== 'captured' || !currency || !s.email.available) return;
    try {
      // A walk-in (no consultation) was never written to, so has no address to send a receipt to.
      const consultationId = given !== undefined ? given : (await s.redis.hget(keys.visitor(orgId, visitorId), 'consultationId')) || null;
      if (!consultationId) return;
      const recipient = await s.email.recipientOf(orgId, consultationId);
      if (!recipient) return;
      await s.email.enqueue(
        orgId,
        { kind: 'payment-receipt', consultationId, to: recipient.to, language: recipient.language, amount, currency, paidAt: settledAt },
        { dedupeKey: `receipt:${consultationId}:${visitorId}` },
      );
    } catch (err) {
      s.log.warn({ orgId, err: (err as Error).message }, 'receipt: could not queue the e-mail');
    }
  });
}
