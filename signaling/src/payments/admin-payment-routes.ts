import { adminAccess } from '../admin/admin-access.ts';
import { Router } from 'express';
import { organizationAdminRoutes, type AdminPayment, type AdminPayments, type RoomPrice } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { Services } from '../services.ts';

/** Admins set rooms' prices, see the organization's payments and refund them. To anyone else: 404. */
export function adminPaymentRoutes(s: Pick<Services, 'audit' | 'config' | 'log' | 'organizations' | 'payments' | 'sessions' | 'waitingRoom'>): Router {
  const router = Router();
  const { admin, orgOf, audit, room } = adminAccess(s);
  const routes = typedRoutes(router, s);

  routes.found(organizationAdminRoutes.setRoomPrice, ...admin, room, async ({ found, body: { price } }, _req, res) => {
    // A price nobody could pay would leave the room's visitors stuck before the waiting room.
    if (price && !s.payments.available) throw new AppError('payments_unavailable', 'card payment is not set up on this server');
    await s.organizations.setPrice(found.orgId, found.id, price);
    await audit(res, 'room_price_changed', found.id);
    const body: { price: RoomPrice | null } = { price };
    return body;
  });

  routes.on(organizationAdminRoutes.payments, ...admin, async (_input, _req, res) => {
    const org = await s.organizations.getOrganization(orgOf(res));
    if (!org) throw notFound();
    const body: AdminPayments = { available: s.payments.available, bookkeepingYears: org.bookkeepingYears, payments: await s.payments.list(org.id) };
    return body;
  });

  // (The payment itself is looked up by the refund: a well-formed id is enough to read the body.)
  const payment = { load: async ({ id }: { id: string }) => id, missing: 'no such payment' };
  routes.found(organizationAdminRoutes.refund, ...admin, payment, async ({ found: paymentId, body }, _req, res) => {
    const refunded: AdminPayment = await s.payments.refund(orgOf(res), paymentId, body);
    await audit(res, 'payment_refunded', paymentId);
    return refunded;
  });

  return router;
}
