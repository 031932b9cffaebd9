import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { id } from '../../protocol/index.ts';
import { notFound } from '../errors.ts';
import { requireProfessional, type AuthedLocals } from '../http/request-guards.ts';
import type { Services } from '../services.ts';

type AdminResponse = Response<unknown, AuthedLocals>;

/**
 * What every admin route needs: the guard (logged in, and an admin of the organization; to anyone else
 * the route does not exist: the same 404 as an unknown path), the organization acted on, the log line of
 * a change, and a member looked up by id within it.
 */
export function adminAccess(s: Services) {
  const adminOnly = async (_req: Request, res: AdminResponse, next: NextFunction) => {
    const pro = await s.organizations.getProfessional(res.locals.session.orgId, res.locals.session.professionalId);
    if (pro?.role !== 'admin') return next(notFound());
    next();
  };
  const orgOf = (res: AdminResponse) => res.locals.session.orgId;
  return {
    admin: [requireProfessional(s.sessions, s.config.cookieSecure), adminOnly] as RequestHandler[],
    orgOf,
    audit: (res: AdminResponse, action: string, target: string) =>
      s.log.info({ orgId: orgOf(res), actorId: res.locals.session.professionalId, action, target }, 'organization changed'),
    /** A member of this organization, or 404 (another organization's ids are as unknown as made-up ones). */
    async memberOf(res: AdminResponse, memberId: unknown) {
      const parsed = id.safeParse(memberId);
      const pro = parsed.success ? await s.organizations.getProfessional(orgOf(res), parsed.data) : null;
      if (!pro) throw notFound('no such member');
      return pro;
    },
  };
}
