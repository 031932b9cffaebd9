import { retentionMsOf } from '../organizations/organization-store.ts';
import { Router } from 'express';
import { memberRoutes, type HistoryResponse } from '../../protocol/index.ts';
import { refuseCrossSite, requireProfessional } from '../http/request-guards.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { Services } from '../services.ts';
import { httpActorOf } from '../audit/audit-context.ts';

export function historyRoutes(s: Pick<Services, 'audit' | 'calls' | 'config' | 'organizations' | 'sessions' | 'waitingRoom'>): Router {
  const router = Router();

  const routes = typedRoutes(router, s);

  // Another site's link or image must not make a member's browser read (and audit) whom they met.
  routes.on(memberRoutes.history, refuseCrossSite(s.config.allowedOrigins), requireProfessional(s.sessions, s.config.cookieSecure), async (_input, req, res) => {
    const { orgId, professionalId } = res.locals.session;
    const org = await s.organizations.getOrganization(orgId);
    const retentionMs = retentionMsOf(org);
    const rooms = new Map((await s.organizations.listRooms(orgId)).map((r) => [r.id, r.name]));
    const calls = await s.calls.history(orgId, professionalId, retentionMs, async (call) => ({
      visitorName: (await s.waitingRoom.getVisitor(orgId, call.visitorId))?.name ?? '',
      roomName: rooms.get(call.roomId) ?? '',
    }));
    // Seeing whom one met is access to visitors' data: audited (the visitors' ids are not listed, only how many).
    await s.audit.record({ ...httpActorOf(req, res), action: 'view_history', targetId: professionalId, detail: { calls: calls.length } });
    const body: HistoryResponse = { calls };
    return body;
  });

  return router;
}
