import type { ConsultationEventListener } from '../events/consultation-events.ts';
import type { Services } from '../services.ts';

/**
 * A visitor's card payment was settled (payment.captured): if the visitor of that consultation was
 * written to by e-mail (an invitation, a reminder), their receipt goes to the same address in the same
 * language. One receipt per payment, however often the event is heard. A listener of the consultation
 * events, like the webhook outbox: the payment code does not know e-mail exists.
 */
export function receiptOnPayment(s: Pick<Services, 'email' | 'log'>): ConsultationEventListener {
  return async (event) => {
    if (event.type !== 'payment.captured' || !event.consultationId || !s.email.available) return;
    const { amount, currency, visitorId } = event.data as { amount?: number; currency?: string; visitorId?: string };
    if (amount === undefined || !currency) return;
    const orgId = event.organizationId;
    try {
      const recipient = await s.email.recipientOf(orgId, event.consultationId);
      if (!recipient) return;
      await s.email.enqueue(
        orgId,
        { kind: 'payment-receipt', consultationId: event.consultationId, to: recipient.to, language: recipient.language, amount, currency, paidAt: Date.parse(event.time) },
        { dedupeKey: `receipt:${event.consultationId}:${visitorId ?? event.id}` },
      );
    } catch (err) {
      s.log.warn({ orgId, consultationId: event.consultationId, err: (err as Error).message }, 'receipt: could not queue the e-mail');
    }
  };
}
