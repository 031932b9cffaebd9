import { Router, type Request, type Response } from 'express';
import { id, organizationAdminRoutes, type AuditAction, type AuditDetail, type VisitorSearchResult } from '../../protocol/index.ts';
import { httpActorOf } from '../audit/audit-context.ts';
import { adminAccess } from '../admin/admin-access.ts';
import { notFound } from '../errors.ts';
import type { AuthedLocals } from '../http/request-guards.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { Services } from '../services.ts';
import type { VisitorRecords } from './visitor-records.ts';
import { InviteeRecords } from './invitee-records.ts';

/**
 * An admin acts on a visitor's behalf: finds them, exports what is held about them, corrects it, erases
 * them; the same for someone invited by phone number or e-mail address (an invitee), checked in or not.
 * A visitor or invitee of another organization is as unknown as a made-up id.
 */
export function dataRightsRoutes(s: Services, records: VisitorRecords): Router {
  const router = Router();
  const invitees = new InviteeRecords(s, records.sms);
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
  const routes = typedRoutes(router, s);
  // A well-formed id is enough to go on: the records answer for one they do not hold as for any other.
  const visitor = { load: async ({ id }: { id: string }) => id, missing: 'no such visitor' };

  routes.on(organizationAdminRoutes.searchVisitors, ...admin, async ({ body: { q } }, req, res) => {
    const [visitors, invited] = await Promise.all([records.find(orgOf(res), q), invitees.find(orgOf(res), q)]);
    // Who was shown whose details: each visitor or invitee found is a view (the search words themselves stay out).
    for (const v of visitors) await audit(req, res, 'view_visitor', v.visitorId, { via: 'search' });
    for (const i of invited) await audit(req, res, 'view_visitor', i.inviteeId, { via: 'search', invitee: true });
    const body: VisitorSearchResult = { visitors, invitees: invited };
    return body;
  });

  // An invitee by their id (a keyed hash of the number or address: no contact in any address).
  router.get('/api/admin/invitees/:id/export', ...admin, async (req, res: Response<unknown, AuthedLocals>) => {
    const inviteeId = visitorIdOf(req.params.id);
    const body = await invitees.export(orgOf(res), inviteeId);
    await audit(req, res, 'export', inviteeId, { invitee: true });
    res.setHeader('content-disposition', `attachment; filename="invitee-${inviteeId}.json"`);
    res.json(body);
  });

  routes.found(organizationAdminRoutes.eraseInvitee, ...admin, visitor, async ({ found: inviteeId }, req, res) => {
    await invitees.erase(orgOf(res), inviteeId);
    await audit(req, res, 'erasure', inviteeId, { invitee: true });
  });

  router.get('/api/admin/visitors/:id/export', ...admin, async (req, res: Response<unknown, AuthedLocals>) => {
    const visitorId = visitorIdOf(req.params.id);
    const body = await records.export(orgOf(res), visitorId);
    await audit(req, res, 'export', visitorId);
    res.setHeader('content-disposition', `attachment; filename="visitor-${visitorId}.json"`);
    res.json(body);
  });

  routes.found(organizationAdminRoutes.correctVisitor, ...admin, visitor, async ({ found: visitorId, body: change }, req, res) => {
    await records.correct(orgOf(res), visitorId, change);
    await audit(req, res, 'correction', visitorId, { fields: Object.keys(change).join(',') });
    return {};
  });

  routes.found(organizationAdminRoutes.eraseVisitor, ...admin, visitor, async ({ found: visitorId }, req, res) => {
    await records.erase(orgOf(res), visitorId);
    await audit(req, res, 'erasure', visitorId);
  });

  return router;
}
