import express, { Router, type Request } from 'express';
import type { PaymentAuthorization, PaymentReceipt } from '../../protocol/index.ts';
import { notFound } from '../errors.ts';
import type { Services } from '../services.ts';
import type { Visitor } from '../waiting-room/waiting-room-store.ts';

/** The visitor of `Authorization: Bearer <visitor token>`; anything else is as unknown as a wrong token. */
async function visitorOf(s: Services, req: Request): Promise<Visitor> {
  const token = /^Bearer (\S{1,200})$/.exec(req.headers.authorization ?? '')?.[1];
  const visitor = token ? await s.waitingRoom.authenticate(token) : null;
  if (!visitor) throw notFound();
  return visitor;
}

/** A visitor pays for their consultation while checking in, and reads their receipt afterwards. */
export function paymentRoutes(s: Services): Router {
  const router = Router();

  router.post('/api/payments/visitor', async (req, res) => {
    const visitor = await visitorOf(s, req);
    if (visitor.state !== 'checking_in') throw notFound();
    const [room, org] = await Promise.all([s.organizations.getRoom(visitor.orgId, visitor.roomId), s.organizations.getOrganization(visitor.orgId)]);
    // A consultation's own price (given through the API) stands in for the room's.
    const price = room && (await s.consultations.priceForVisitor(visitor.orgId, visitor.id, room.price));
    if (!price || !org) throw notFound();
    const body: PaymentAuthorization = await s.payments.authorize(visitor, price, org.bookkeepingYears);
    res.json(body);
  });

  router.get('/api/payments/receipt', async (req, res) => {
    const body: PaymentReceipt = await s.payments.receipt(await visitorOf(s, req));
    res.json(body);
  });

  return router;
}

/**
 * Stripe's webhook. Mounted before the JSON parser: the signature is over the exact bytes Stripe sent.
 * Stripe sends no Origin (it is no browser), so it is also before the same-origin check; the signature
 * is what proves it came from Stripe.
 */
export function stripeWebhookRoutes(s: Services): Router {
  const router = Router();
  router.post('/api/payments/stripe-webhook', express.raw({ type: () => true, limit: '512kb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = req.headers['stripe-signature'];
    const result = await s.payments.applyWebhook(raw, typeof signature === 'string' ? signature : undefined);
    res.json({ received: true, result });
  });
  return router;
}
