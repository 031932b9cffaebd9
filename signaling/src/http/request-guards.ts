import type { NextFunction, Request, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { AppError } from '../errors.ts';
import type { Session, SessionStore } from '../auth/session-store.ts';

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

export interface AuthedLocals {
  session: Session;
}

/**
 * A logged-in member. `evenBeforePasswordChange`: also a session that must choose a new password first
 * (only the routes that let it do that, see who it is, or log out).
 */
export function requireProfessional(sessions: SessionStore, secure: boolean, opts: { evenBeforePasswordChange?: boolean } = {}) {
  return async (req: Request, res: Response<unknown, AuthedLocals>, next: NextFunction) => {
    const session = await sessions.resolve(sessionCookieOf(req.headers.cookie, secure));
    if (!session) return next(new AppError('unauthorized', 'please log in'));
    if (session.mustChangePassword && !opts.evenBeforePasswordChange) return next(new AppError('password_change_required', 'choose a new password first'));
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    if (unsafe && req.headers['x-csrf-token'] !== session.csrfToken) return next(new AppError('csrf_failed', 'missing or wrong CSRF token'));
    res.locals.session = session;
    next();
  };
}
