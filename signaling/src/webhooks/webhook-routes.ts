import { Router, type Response } from 'express';
import {
  id,
  organizationAdminRoutes,
  webhookEndpointUpdate,
  webhookSecretRotation,
  WEBHOOK_ENDPOINTS_MAX,
  type AuditDetail,
  type WebhookDeliveryDetail,
  type WebhookDeliveryList,
  type WebhookEndpointList,
  type WebhookEndpointView,
  type WebhookSecretIssued,
} from '../../protocol/index.ts';
import { adminAccess } from '../admin/admin-access.ts';
import { httpActorOf } from '../audit/audit-context.ts';
import { AppError, badField, notFound } from '../errors.ts';
import type { AuthedLocals } from '../http/request-guards.ts';
import { parse } from '../http/validate.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { Services } from '../services.ts';
import { AddressRefused } from './address-guard.ts';
import { WebhookStore } from './webhook-store.ts';

type AdminResponse = Response<unknown, AuthedLocals>;

/**
 * An organization's admins manage its webhook endpoints and see (and resend) deliveries. Every change is in
 * the audit log. Another organization's ids are as unknown as made-up ones (404); other members get 403.
 */
export function webhookRoutes(s: Services): Router {
  const router = Router();
  const { admin, orgOf } = adminAccess(s);
  const routes = typedRoutes(router, s);
  const { store, outbox } = s.webhooks;

  const audit = async (res: AdminResponse, action: 'webhook_change' | 'webhook_resend', targetId: string, detail: AuditDetail) => {
    s.log.info({ orgId: orgOf(res), actorId: res.locals.session.professionalId, action, targetId, ...detail }, 'webhooks changed');
    await s.audit.record({ ...httpActorOf(res.req, res), action, targetId, detail });
  };

  const endpointOf = async (res: AdminResponse, endpointId: unknown) => {
    const parsed = id.safeParse(endpointId);
    const endpoint = parsed.success ? await store.getEndpoint(orgOf(res), parsed.data) : null;
    if (!endpoint) throw notFound('no such webhook endpoint');
    return endpoint;
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

  router.patch('/api/admin/webhooks/:id', ...admin, async (req, res: AdminResponse) => {
    const endpoint = await endpointOf(res, req.params.id);
    const change = parse(webhookEndpointUpdate, req.body);
    if (change.url !== undefined) await checkReachable(change.url);
    await store.updateEndpoint(orgOf(res), endpoint.id, change);
    await audit(res, 'webhook_change', endpoint.id, { change: 'updated' });
    const body: WebhookEndpointView = WebhookStore.view((await store.getEndpoint(orgOf(res), endpoint.id))!);
    res.json(body);
  });

  router.delete('/api/admin/webhooks/:id', ...admin, async (req, res: AdminResponse) => {
    const endpoint = await endpointOf(res, req.params.id);
    await store.removeEndpoint(orgOf(res), endpoint.id);
    await audit(res, 'webhook_change', endpoint.id, { change: 'deleted' });
    res.status(204).end();
  });

  /** A new secret, shown once; the old one signs beside it for `overlapMinutes` (0: stops now). */
  router.post('/api/admin/webhooks/:id/rotate-secret', ...admin, async (req, res: AdminResponse) => {
    const endpoint = await endpointOf(res, req.params.id);
    const { overlapMinutes } = parse(webhookSecretRotation, req.body ?? {});
    const secret = await store.rotateSecret(orgOf(res), endpoint, overlapMinutes * 60_000);
    await audit(res, 'webhook_change', endpoint.id, { change: 'secret_rotated', overlapMinutes });
    const body: WebhookSecretIssued = { endpoint: WebhookStore.view((await store.getEndpoint(orgOf(res), endpoint.id))!), secret };
    res.json(body);
  });

  /** The receiver has the new secret: the old one stops signing now. */
  router.delete('/api/admin/webhooks/:id/previous-secret', ...admin, async (req, res: AdminResponse) => {
    const endpoint = await endpointOf(res, req.params.id);
    await store.endOverlap(orgOf(res), endpoint.id);
    await audit(res, 'webhook_change', endpoint.id, { change: 'overlap_ended' });
    res.status(204).end();
  });

  routes.on(organizationAdminRoutes.webhookDeliveries, ...admin, async ({ query }, _req, res) => {
    if (query.cursor !== undefined && !WebhookStore.validCursor(query.cursor)) throw badField('cursor', 'not one of ours');
    const body: WebhookDeliveryList = await store.listDeliveries(orgOf(res), query);
    return body;
  });

  router.get('/api/admin/webhook-deliveries/:id', ...admin, async (req, res: AdminResponse) => {
    const parsed = id.safeParse(req.params.id);
    const body: WebhookDeliveryDetail | null = parsed.success ? await store.deliveryDetail(orgOf(res), parsed.data) : null;
    if (!body) throw notFound('no such delivery');
    res.json(body);
  });

  /** Sends a delivered or failed delivery again (same event id, a new day of tries); a pending one is still being tried. */
  router.post('/api/admin/webhook-deliveries/:id/resend', ...admin, async (req, res: AdminResponse) => {
    const orgId = orgOf(res);
    const parsed = id.safeParse(req.params.id);
    const delivery = parsed.success ? await store.getDelivery(orgId, parsed.data) : null;
    if (!delivery) throw notFound('no such delivery');
    if (delivery.status === 'pending') throw new AppError('delivery_pending', 'this delivery is still being tried');
    if (!(await store.getEndpoint(orgId, delivery.endpointId))) throw notFound('its endpoint was deleted');
    await outbox.resend(orgId, delivery.id);
    await audit(res, 'webhook_resend', delivery.id, { endpoint: delivery.endpointId });
    res.status(202).end();
  });

  return router;
}
