import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { auditTarget, type AuditAction, type AuditDetail } from '../../protocol/index.ts';
import { httpActorOf } from '../audit/audit-context.ts';
import { AppError, notFound } from '../errors.ts';
import { refuseCrossSite, requireProfessional, type AuthedLocals } from '../http/request-guards.ts';
import type { Services } from '../services.ts';

type AdminResponse = Response<unknown, AuthedLocals>;

/** Admin changes about members (the rest change the organization's settings and rooms). */
const MEMBER_CHANGES = new Set(['member_invited', 'member_removed', 'password_reset', 'bankid_binding_approved', 'bankid_binding_removed']);
const auditActionOf = (change: string): AuditAction => (MEMBER_CHANGES.has(change) ? 'member_change' : change === 'payment_refunded' ? 'refund' : 'settings_change');
/** A plain token (setting names, a role) may go into the entry's detail; anything else stays out of it. */
const PLAIN = /^[A-Za-z0-9_.:,-]{1,100}$/;

/**
 * What every admin route needs: the guard (logged in, and an admin of the organization: another member is
 * told plainly that it is for admins, 403 forbidden; another organization's ids stay as unknown as made-up
 * ones; and only from our own pages: these routes read personal data, and another site's page gets 404),
 * the organization acted on, the audited change, and the lookups of a member or a room by id within it.
 */
export function adminAccess(s: Pick<Services, 'audit' | 'config' | 'log' | 'organizations' | 'sessions'>) {
  const adminOnly = async (_req: Request, res: AdminResponse, next: NextFunction) => {
    const pro = await s.organizations.getProfessional(res.locals.session.orgId, res.locals.session.professionalId);
    // Their own organization is no secret to a member: they are told plainly that this is for admins.
    if (pro?.role !== 'admin') return next(pro ? new AppError('forbidden', 'only an admin of the organization can do this') : notFound());
    next();
  };
  const orgOf = (res: AdminResponse) => res.locals.session.orgId;
  return {
    admin: [refuseCrossSite(s.config.allowedOrigins), requireProfessional(s.sessions, s.config.cookieSecure), adminOnly] as RequestHandler[],
    orgOf,
    /**
     * A change by an admin: a log line, and an entry in the organization's audit log (member changes as
     * member_change, refunds as refund, the rest as settings_change; the change's own name in the detail).
     * `target` is an id, or a plain word such as the settings changed. Never fails the change.
     */
    async audit(res: AdminResponse, action: string, target: string): Promise<void> {
      s.log.info({ orgId: orgOf(res), actorId: res.locals.session.professionalId, action, target }, 'organization changed');
      const isId = auditTarget.safeParse(target).success;
      const detail: AuditDetail = { change: action, ...(!isId && PLAIN.test(target) ? { about: target } : {}) };
      await s.audit.record({ ...httpActorOf(res.req, res), action: auditActionOf(action), ...(isId ? { targetId: target } : {}), detail });
    },
    /** The lookups of a route's `:id` (typedRoutes' found step): 404 for another organization's ids too. */
    member: { load: ({ id }: { id: string }, res: AdminResponse) => s.organizations.getProfessional(orgOf(res), id), missing: 'no such member' },
    room: { load: ({ id }: { id: string }, res: AdminResponse) => s.organizations.getRoom(orgOf(res), id), missing: 'no such room' },
  };
}
