import { Router, type Response } from 'express';
import {
  organizationAdminRoutes,
  WEBHOOK_ENDPOINTS_MAX,
  type AuditDetail,
  type WebhookDeliveryDetail,
  type WebhookDeliveryList,
  type WebhookEndpointList,
  type WebhookSecretIssued,
} from '../../protocol/index.ts';
import { adminAccess } from '../admin/admin-access.ts';
import { httpActorOf } from '../audit/audit-context.ts';
import { AppError, badField, notFound } from '../errors.ts';
import type { AuthedLocals } from '../http/request-guards.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { Services } from '../services.ts';
import { AddressRefused } from './address-guard.ts';
import { WebhookStore } from './webhook-store.ts';

type AdminResponse = Response<unknown, AuthedLocals>;

/**
 * An organization's admins manage its webhook endpoints and see (and resend) deliveries. Every change is in
 * the audit log. Another organization's ids are as unknown as made-up ones (404); other members get 403.
 */
export function webhookRoutes(s: Pick<Services, 'audit' | 'config' | 'log' | 'organizations' | 'sessions' | 'waitingRoom' | 'webhooks'>): Router {
  const router = Router();
  const { admin, orgOf } = adminAccess(s);
  const routes = typedRoutes(router, s);
  const { store, outbox } = s.webhooks;

  const audit = async (res: AdminResponse, action: 'webhook_change' | 'webhook_resend', targetId: string, detail: AuditDetail) => {
    s.log.info({ orgId: orgOf(res), actorId: res.locals.session.professionalId, action, targetId, ...detail }, 'webhooks changed');
    await s.audit.record({ ...httpActorOf(res.req, res), action, targetId, detail });
  };

  /** Plain http only where the server allows it (tests); the host must be one the server may reach. */
  const checkReachable = async (url: string) => {
    if (!url.startsWith('https://') && !s.config.WEBHOOK_ALLOW_PLAIN_HTTP) throw badField('url', 'must be an https address');
    try {
      await outbox.guard.addressFor(new URL(url).hostname);
    } catch (err) {
      if (!(err instanceof AddressRefused)) throw err;
      throw badField('url', err.reason === 'dns' ? 'host_unresolved' : 'address_not_allowed');
    }
  };

  routes.on(organizationAdminRoutes.webhooks, ...admin, async (_input, _req, res): Promise<WebhookEndpointList> => ({
    endpoints: (await store.listEndpoints(orgOf(res))).map(WebhookStore.view),
  }));

  routes.on(organizationAdminRoutes.createWebhook, ...admin, async ({ body: settings }, _req, res) => {
    const orgId = orgOf(res);
    await checkReachable(settings.url);
    if ((await store.countEndpoints(orgId)) >= WEBHOOK_ENDPOINTS_MAX) throw badField('endpoints', `at most ${WEBHOOK_ENDPOINTS_MAX}`);
    const { endpoint, secret } = await store.createEndpoint(orgId, settings);
    await audit(res, 'webhook_change', endpoint.id, { change: 'created' });
    const body: WebhookSecretIssued = { endpoint: WebhookStore.view(endpoint), secret };
    return body;
  });

  const endpoint = { load: ({ id }: { id: string }, res: AdminResponse) => store.getEndpoint(orgOf(res), id), missing: 'no such webhook endpoint' };
  const delivery = { load: ({ id }: { id: string }, res: AdminResponse) => store.getDelivery(orgOf(res), id), missing: 'no such delivery' };

  routes.found(organizationAdminRoutes.updateWebhook, ...admin, endpoint, async ({ found, body: change }, _req, res) => {
    if (change.url !== undefined) await checkReachable(change.url);
    await store.updateEndpoint(orgOf(res), found.id, change);
    await audit(res, 'webhook_change', found.id, { change: 'updated' });
    return WebhookStore.view((await store.getEndpoint(orgOf(res), found.id))!);
  });

  routes.found(organizationAdminRoutes.deleteWebhook, ...admin, endpoint, async ({ found }, _req, res) => {
    await store.removeEndpoint(orgOf(res), found.id);
    await audit(res, 'webhook_change', found.id, { change: 'deleted' });
  });

  /** A new secret, shown once; the old one signs beside it for `overlapMinutes` (0: stops now). */
  routes.found(organizationAdminRoutes.rotateWebhookSecret, ...admin, endpoint, async ({ found, body: { overlapMinutes } }, _req, res) => {
    const secret = await store.rotateSecret(orgOf(res), found, overlapMinutes * 60_000);
    await audit(res, 'webhook_change', found.id, { change: 'secret_rotated', overlapMinutes });
    const body: WebhookSecretIssued = { endpoint: WebhookStore.view((await store.getEndpoint(orgOf(res), found.id))!), secret };
    return body;
  });

  /** The receiver has the new secret: the old one stops signing now. */
  routes.found(organizationAdminRoutes.endWebhookOverlap, ...admin, endpoint, async ({ found }, _req, res) => {
    await store.endOverlap(orgOf(res), found.id);
    await audit(res, 'webhook_change', found.id, { change: 'overlap_ended' });
  });

  routes.on(organizationAdminRoutes.webhookDeliveries, ...admin, async ({ query }, _req, res) => {
    if (query.cursor !== undefined && !WebhookStore.validCursor(query.cursor)) throw badField('cursor', 'not one of ours');
    const body: WebhookDeliveryList = await store.listDeliveries(orgOf(res), query);
    return body;
  });

  const deliveryDetail = { load: ({ id }: { id: string }, res: AdminResponse) => store.deliveryDetail(orgOf(res), id), missing: 'no such delivery' };
  routes.found(organizationAdminRoutes.webhookDelivery, ...admin, deliveryDetail, async ({ found }): Promise<WebhookDeliveryDetail> => found);

  /** Sends a delivered or failed delivery again (same event id, a new day of tries); a pending one is still being tried. */
  routes.found(organizationAdminRoutes.resendWebhookDelivery, ...admin, delivery, async ({ found }, _req, res) => {
    const orgId = orgOf(res);
    if (found.status === 'pending') throw new AppError('delivery_pending', 'this delivery is still being tried');
    if (!(await store.getEndpoint(orgId, found.endpointId))) throw notFound('its endpoint was deleted');
    await outbox.resend(orgId, found.id);
    await audit(res, 'webhook_resend', found.id, { endpoint: found.endpointId });
  });

  return router;
}
