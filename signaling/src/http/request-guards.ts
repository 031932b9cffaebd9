import type { NextFunction, Request, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { AppError, notFound } from '../errors.ts';
import { sameSecret } from '../ids.ts';
import type { LoginStep, Session, SessionStore } from '../auth/session-store.ts';

export const SESSION_COOKIE = 'consult_sid';

/** `__Host-` binds the cookie to this exact origin over HTTPS; plain HTTP (local demo) cannot use it. */
export const sessionCookieName = (secure: boolean) => (secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE);

export function sessionCookieOf(header: string | undefined, secure: boolean): string | undefined {
  return header ? parseCookies(header)[sessionCookieName(secure)] : undefined;
}

/**
 * CSRF, first layer: a state-changing request must come from one of our own pages. Browsers always send
 * Origin on cross-site POSTs, so a missing or foreign Origin is refused. The second layer is the
 * per-session token checked by requireProfessional.
 */
export function requireSameOrigin(allowedOrigins: string[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const origin = req.headers.origin;
    if (!origin || !allowedOrigins.includes(origin)) return next(new AppError('csrf_failed', 'request from another site'));
    next();
  };
}

/**
 * Reading, as well as changing, only from our own pages: another site's link, image or form opening an
 * admin address still carries the session cookie (SameSite=Lax lets top-level GETs through), and would
 * download personal data or leave an export in the audit log. Browsers say where a request comes from
 * (Sec-Fetch-Site; Origin on most); a request that says another site gets 404, as an address that does
 * not exist. A request that says nothing (a server-side client, an old browser) is let through: the
 * attack needs a browser, and every browser we support sends Sec-Fetch-Site.
 */
export function refuseCrossSite(allowedOrigins: string[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    if ((site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && !allowedOrigins.includes(origin))) {
      return next(notFound());
    }
    next();
  };
}

export interface AuthedLocals {
  session: Session;
}

/**
 * A logged-in member. A session with a login step still to take (second factor, new password) gets only
 * the routes that allow that step (`during`), plus seeing who it is and logging out. `onlyDuring`: the
 * route is that step itself, which a fully logged-in session may not take again (a stolen session must not
 * be able to put its own authenticator app on the account).
 */
export function requireProfessional(sessions: SessionStore, secure: boolean, opts: { during?: LoginStep[]; onlyDuring?: boolean } = {}) {
  return async (req: Request, res: Response<unknown, AuthedLocals>, next: NextFunction) => {
    const session = await sessions.resolve(sessionCookieOf(req.headers.cookie, secure));
    if (!session) return next(new AppError('unauthorized', 'please log in'));
    if (opts.onlyDuring && !session.pending) return next(new AppError('not_found', 'nothing to do here'));
    if (session.pending && !opts.during?.includes(session.pending)) {
      return next(
        session.pending === 'password-change'
          ? new AppError('password_change_required', 'choose a new password first')
          : new AppError('second_factor_required', 'enter the code from your authenticator app first'),
      );
    }
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    if (unsafe && !sameSecret(req.headers['x-csrf-token'], session.csrfToken)) return next(new AppError('csrf_failed', 'missing or wrong CSRF token'));
    res.locals.session = session;
    next();
  };
}
