import express, { Router } from 'express';
import { visitorRoutes, type PaymentAuthorization, type PaymentReceipt } from '../../protocol/index.ts';
import { notFound } from '../errors.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { Services } from '../services.ts';

/** A visitor pays for their consultation while checking in, and reads their receipt afterwards. */
export function paymentRoutes(s: Pick<Services, 'consultations' | 'organizations' | 'payments' | 'waitingRoom'>): Router {
  const router = Router();
  const routes = typedRoutes(router, s);

  routes.on(visitorRoutes.payment, async ({ visitor }) => {
    if (visitor.state !== 'checking_in') throw notFound();
    const [room, org] = await Promise.all([s.organizations.getRoom(visitor.orgId, visitor.roomId), s.organizations.getOrganization(visitor.orgId)]);
    // A consultation's own price (given through the API) stands in for the room's.
    const price = room && (await s.consultations.priceForVisitor(visitor.orgId, visitor.id, room.price));
    if (!price || !org) throw notFound();
    const body: PaymentAuthorization = await s.payments.authorize(visitor, price, org.bookkeepingYears);
    return body;
  });

  routes.on(visitorRoutes.receipt, async ({ visitor }): Promise<PaymentReceipt> => s.payments.receipt(visitor));

  return router;
}

/**
 * Stripe's webhook. Mounted before the JSON parser: the signature is over the exact bytes Stripe sent.
 * Stripe sends no Origin (it is no browser), so it is also before the same-origin check; the signature
 * is what proves it came from Stripe.
 */
export function stripeWebhookRoutes(s: Pick<Services, 'payments'>): Router {
  const router = Router();
  router.post('/api/payments/stripe-webhook', express.raw({ type: () => true, limit: '512kb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = req.headers['stripe-signature'];
    const result = await s.payments.applyWebhook(raw, typeof signature === 'string' ? signature : undefined);
    res.json({ received: true, result });
  });
  return router;
}
