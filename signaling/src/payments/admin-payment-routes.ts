import { adminAccess } from '../admin/admin-access.ts';
import { Router, type Response } from 'express';
import { id, organizationAdminRoutes, refundRequest, roomPriceRequest, type AdminPayment, type AdminPayments, type RoomPrice } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { parse } from '../http/validate.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { AuthedLocals } from '../http/request-guards.ts';
import type { Services } from '../services.ts';

/** Admins set rooms' prices, see the organization's payments and refund them. To anyone else: 404. */
export function adminPaymentRoutes(s: Services): Router {
  const router = Router();
  const { admin, orgOf, audit } = adminAccess(s);

  router.put('/api/admin/rooms/:id/price', ...admin, async (req, res: Response<unknown, AuthedLocals>) => {
    const roomId = id.safeParse(req.params.id);
    const room = roomId.success ? await s.organizations.getRoom(orgOf(res), roomId.data) : null;
    if (!room) throw notFound('no such room');
    const { price } = parse(roomPriceRequest, req.body);
    // A price nobody could pay would leave the room's visitors stuck before the waiting room.
    if (price && !s.payments.available) throw new AppError('payments_unavailable', 'card payment is not set up on this server');
    await s.organizations.setPrice(room.orgId, room.id, price);
    await audit(res, 'room_price_changed', room.id);
    const body: { price: RoomPrice | null } = { price };
    res.json(body);
  });

  typedRoutes(router, s).on(organizationAdminRoutes.payments, ...admin, async (_input, _req, res) => {
    const org = await s.organizations.getOrganization(orgOf(res));
    if (!org) throw notFound();
    const body: AdminPayments = { available: s.payments.available, bookkeepingYears: org.bookkeepingYears, payments: await s.payments.list(org.id) };
    return body;
  });

  router.post('/api/admin/payments/:id/refund', ...admin, async (req, res: Response<unknown, AuthedLocals>) => {
    const paymentId = id.safeParse(req.params.id);
    if (!paymentId.success) throw notFound('no such payment');
    const body = parse(refundRequest, req.body);
    const refunded: AdminPayment = await s.payments.refund(orgOf(res), paymentId.data, body);
    await audit(res, 'payment_refunded', paymentId.data);
    res.json(refunded);
  });

  return router;
}
