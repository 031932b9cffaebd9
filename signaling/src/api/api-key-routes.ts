import { Router } from 'express';
import { organizationAdminRoutes, type ApiKeyCreated, type ApiKeyList } from '../../protocol/index.ts';
import { adminAccess } from '../admin/admin-access.ts';
import { httpActorOf } from '../audit/audit-context.ts';
import { notFound } from '../errors.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { Services } from '../services.ts';

/**
 * The admins' page for API keys: make one (its secret shown this once), list them (name, made, last
 * used), revoke one (the next call with it fails). Making and revoking are audited (api_key_change), by
 * the key's id; the secret never reaches a log or the audit log.
 */
export function apiKeyRoutes(s: Pick<Services, 'apiKeys' | 'audit' | 'config' | 'log' | 'organizations' | 'sessions' | 'waitingRoom'>): Router {
  const router = Router();
  const { admin, orgOf } = adminAccess(s);
  const routes = typedRoutes(router, s);

  routes.on(organizationAdminRoutes.apiKeys, ...admin, async (_input, _req, res): Promise<ApiKeyList> => ({ keys: await s.apiKeys.list(orgOf(res)) }));

  routes.on(organizationAdminRoutes.createApiKey, ...admin, async ({ body: { name } }, req, res) => {
    const created: ApiKeyCreated = await s.apiKeys.create(orgOf(res), name, res.locals.session.professionalId);
    s.log.info({ orgId: orgOf(res), actorId: res.locals.session.professionalId, keyId: created.id }, 'API key created');
    await s.audit.record({ ...httpActorOf(req, res), action: 'api_key_change', targetId: created.id, detail: { change: 'api_key_created' } });
    return created;
  });

  routes.on(organizationAdminRoutes.revokeApiKey, ...admin, async ({ params }, req, res) => {
    const keyId = params?.id;
    if (!keyId || !(await s.apiKeys.revoke(orgOf(res), keyId))) throw notFound('no such API key');
    s.log.info({ orgId: orgOf(res), actorId: res.locals.session.professionalId, keyId }, 'API key revoked');
    await s.audit.record({ ...httpActorOf(req, res), action: 'api_key_change', targetId: keyId, detail: { change: 'api_key_revoked' } });
  });

  return router;
}
