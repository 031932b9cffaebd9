import { Router, type Request, type Response } from 'express';
import { id, visitorCorrection, visitorSearch, type AuditAction, type AuditDetail } from '../../protocol/index.ts';
import { httpActorOf } from '../audit/audit-context.ts';
import { adminAccess } from '../admin/admin-access.ts';
import { notFound } from '../errors.ts';
import type { AuthedLocals } from '../http/request-guards.ts';
import { parse } from '../http/validate.ts';
import type { Services } from '../services.ts';
import type { VisitorRecords } from './visitor-records.ts';

/**
 * An admin acts on a visitor's behalf: finds them, exports what is held about them, corrects it, erases
 * them. A visitor of another organization is as unknown as a made-up id.
 */
export function dataRightsRoutes(s: Services, records: VisitorRecords): Router {
  const router = Router();
  const { admin, orgOf } = adminAccess(s);
  /** Each act on a visitor's data goes in the audit log, naming them by id only. */
  const audit = (req: Request, res: Response<unknown, AuthedLocals>, action: AuditAction, visitorId?: string, detail?: AuditDetail) =>
    s.audit.record({ ...httpActorOf(req, res), action, ...(visitorId ? { targetId: visitorId } : {}), ...(detail ? { detail } : {}) });
  const visitorIdOf = (raw: unknown) => {
    const parsed = id.safeParse(raw);
    if (!parsed.success) throw notFound('no such visitor');
    return parsed.data;
  };

  // A POST: the words searched for are a visitor's name or phone number, which an address would carry into
  // access logs, proxies and the browser's history.
  router.post('/api/admin/visitors/search', ...admin, async (req, res: Response<unknown, AuthedLocals>) => {
    const { q } = parse(visitorSearch, req.body);
    const visitors = await records.find(orgOf(res), q);
    // Who was shown whose details: each visitor found is a view (the search words themselves stay out).
    for (const v of visitors) await audit(req, res, 'view_visitor', v.visitorId, { via: 'search' });
    res.json({ visitors });
  });

  router.get('/api/admin/visitors/:id/export', ...admin, async (req, res: Response<unknown, AuthedLocals>) => {
    const visitorId = visitorIdOf(req.params.id);
    const body = await records.export(orgOf(res), visitorId);
    await audit(req, res, 'export', visitorId);
    res.setHeader('content-disposition', `attachment; filename="visitor-${visitorId}.json"`);
    res.json(body);
  });

  router.patch('/api/admin/visitors/:id', ...admin, async (req, res: Response<unknown, AuthedLocals>) => {
    const visitorId = visitorIdOf(req.params.id);
    const change = parse(visitorCorrection, req.body);
    await records.correct(orgOf(res), visitorId, change);
    await audit(req, res, 'correction', visitorId, { fields: Object.keys(change).join(',') });
    res.json({});
  });

  router.delete('/api/admin/visitors/:id', ...admin, async (req, res: Response<unknown, AuthedLocals>) => {
    const visitorId = visitorIdOf(req.params.id);
    await records.erase(orgOf(res), visitorId);
    await audit(req, res, 'erasure', visitorId);
    res.status(204).end();
  });

  return router;
}
