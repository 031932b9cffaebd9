import { Router, type Response } from 'express';
import { apiKeyRequest, id, type ApiKeyCreated, type ApiKeyList } from '../../protocol/index.ts';
import { adminAccess } from '../admin/admin-access.ts';
import { httpActorOf } from '../audit/audit-context.ts';
import { notFound } from '../errors.ts';
import type { AuthedLocals } from '../http/request-guards.ts';
import { parse } from '../http/validate.ts';
import type { Services } from '../services.ts';

type AdminResponse = Response<unknown, AuthedLocals>;

/**
 * The admins' page for API keys: make one (its secret shown this once), list them (name, made, last
 * used), revoke one (the next call with it fails). Making and revoking are audited (api_key_change), by
 * the key's id; the secret never reaches a log or the audit log.
 */
export function apiKeyRoutes(s: Services): Router {
  const router = Router();
  const { admin, orgOf } = adminAccess(s);

  router.get('/api/admin/api-keys', ...admin, async (_req, res: AdminResponse) => {
    const body: ApiKeyList = { keys: await s.apiKeys.list(orgOf(res)) };
    res.json(body);
  });

  router.post('/api/admin/api-keys', ...admin, async (req, res: AdminResponse) => {
    const { name } = parse(apiKeyRequest, req.body);
    const created: ApiKeyCreated = await s.apiKeys.create(orgOf(res), name, res.locals.session.professionalId);
    s.log.info({ orgId: orgOf(res), actorId: res.locals.session.professionalId, keyId: created.id }, 'API key created');
    await s.audit.record({ ...httpActorOf(req, res), action: 'api_key_change', targetId: created.id, detail: { change: 'api_key_created' } });
    res.status(201).json(created);
  });

  router.delete('/api/admin/api-keys/:id', ...admin, async (req, res: AdminResponse) => {
    const keyId = id.safeParse(req.params.id);
    if (!keyId.success || !(await s.apiKeys.revoke(orgOf(res), keyId.data))) throw notFound('no such API key');
    s.log.info({ orgId: orgOf(res), actorId: res.locals.session.professionalId, keyId: keyId.data }, 'API key revoked');
    await s.audit.record({ ...httpActorOf(req, res), action: 'api_key_change', targetId: keyId.data, detail: { change: 'api_key_revoked' } });
    res.status(204).end();
  });

  return router;
}
