import { Router, type Response } from 'express';
import { memberRoutes, type Me } from '../../protocol/index.ts';
import { AppError, badField } from '../errors.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import { requireProfessional, sessionCookieName } from '../http/request-guards.ts';
import type { Services } from '../services.ts';
import type { LoginStep, Session } from './session-store.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { httpActorOf } from '../audit/audit-context.ts';

const LOGIN_WINDOW_MS = 15 * 60_000;

/** Who is logged in, as the dashboard needs it. */
export async function meOf(s: Pick<Services, 'organizations'>, session: Session): Promise<Me> {
  const [pro, org] = await Promise.all([
    s.organizations.getProfessional(session.orgId, session.professionalId),
    s.organizations.getOrganization(session.orgId),
  ]);
  if (!pro || !org) throw new AppError('unauthorized', 'please log in');
  return {
    professional: { id: pro.id, name: pro.name, email: pro.email, role: pro.role },
    organization: { id: org.id, name: org.name, timeZone: org.timeZone },
    csrfToken: session.csrfToken,
    pending: session.pending ?? null,
  };
}

/** The login step after the second factor: a new password if an admin reset it, else none. */
export async function stepAfterSecondFactor(s: Pick<Services, 'organizations'>, session: Session): Promise<LoginStep | undefined> {
  const pro = await s.organizations.getProfessional(session.orgId, session.professionalId);
  return pro?.mustChangePassword ? 'password-change' : undefined;
}

/** A new session (a new id at every login, so a session fixed before login is worthless) and its cookie. */
export async function startSession(s: Pick<Services, 'config' | 'sessions'>, res: Response, orgId: string, professionalId: string, pending?: LoginStep): Promise<Session> {
  const secure = s.config.cookieSecure;
  const { cookieValue, session } = await s.sessions.create(orgId, professionalId, { pending });
  res.cookie(sessionCookieName(secure), cookieValue, {
    httpOnly: true,
    secure,
    sameSite: 'lax',
    path: '/',
    maxAge: s.config.SESSION_MAX_HOURS * 3600_000,
  });
  return session;
}

export function authRoutes(s: Pick<Services, 'audit' | 'config' | 'log' | 'notify' | 'organizations' | 'rateLimiter' | 'secondFactor' | 'sessions' | 'waitingRoom'>): Router {
  const router = Router();
  const routes = typedRoutes(router, s);
  const secure = s.config.cookieSecure;
  const cookieName = sessionCookieName(secure);
  const anyStep = requireProfessional(s.sessions, secure, { during: ['second-factor', 'second-factor-setup', 'password-change'] });
  // Also open to a fully logged-in member (changing one's own password needs the current one).
  const changingPassword = requireProfessional(s.sessions, secure, { during: ['password-change'] });

  routes.on(memberRoutes.login, async ({ body }, req, res) => {
    const byAddress = await s.rateLimiter.allow('login-address', { address: req.ip }, s.config.LOGIN_LIMIT_PER_ADDRESS, LOGIN_WINDOW_MS);
    const byAccount = await s.rateLimiter.allow('login-account', body.email, s.config.LOGIN_LIMIT_PER_ACCOUNT, LOGIN_WINDOW_MS);
    if (!byAddress || !byAccount) throw new AppError('rate_limited', 'too many login attempts; try again in 15 minutes');
    const pro = await s.organizations.findProfessionalByEmail(body.email);
    if (!(await verifyPassword(pro?.passwordHash, body.password)) || !pro) {
      s.log.info({ event: 'login_failed' }, 'login failed');
      // Only a known account has an organization whose log it goes in. The actor is unproven: `system`
      // noting an attempt on the account (the target).
      if (pro) await s.audit.record({ orgId: pro.orgId, actor: 'system', action: 'login_failed', targetId: pro.id, address: req.ip, detail: { method: 'password_totp', step: 'password' } });
      throw new AppError('invalid_credentials', 'wrong e-mail or password');
    }
    // The password alone is not enough: the second factor next (set up now if this is the first login).
    const pending: LoginStep = (await s.secondFactor.isEnabled(pro.orgId, pro.id)) ? 'second-factor' : 'second-factor-setup';
    const session = await startSession(s, res, pro.orgId, pro.id, pending);
    s.log.info({ orgId: pro.orgId, professionalId: pro.id, method: 'password' }, 'password accepted');
    return meOf(s, session);
  });

  routes.on(memberRoutes.me, anyStep, async (_input, _req, res) => meOf(s, res.locals.session));

  /** The member's own new password; the only thing a session may do after an admin reset the password. */
  routes.on(memberRoutes.changePassword, changingPassword, async ({ body }, req, res) => {
    const { session } = res.locals;
    if (!(await s.rateLimiter.allow('password-change', session.professionalId, s.config.LOGIN_LIMIT_PER_ACCOUNT, LOGIN_WINDOW_MS))) {
      throw new AppError('rate_limited', 'too many attempts; try again in 15 minutes');
    }
    const pro = await s.organizations.getProfessional(session.orgId, session.professionalId);
    if (!pro || !(await verifyPassword(pro.passwordHash, body.currentPassword))) throw new AppError('invalid_credentials', 'the current password is wrong');
    if (body.newPassword === body.currentPassword) throw badField('newPassword', 'choose a password you have not used here');
    await s.organizations.setPassword(session.orgId, pro.id, await hashPassword(body.newPassword), false);
    const done = await s.sessions.advance(session, undefined);
    s.notify.sessionsEnded(session.orgId, await s.sessions.destroyOthersOf(session));
    await s.audit.record({ ...httpActorOf(req, res), action: 'member_change', targetId: pro.id, detail: { change: 'own_password_changed' } });
    s.log.info({ orgId: session.orgId, professionalId: pro.id }, 'password changed');
    return meOf(s, done);
  });

  routes.on(memberRoutes.logout, anyStep, async (_input, req, res) => {
    const { session } = res.locals;
    await s.sessions.destroy(session);
    await s.audit.record({ ...httpActorOf(req, res), action: 'logout' });
    s.notify.sessionEnded(session.orgId, session.sessionHash);
    s.log.info({ orgId: session.orgId, professionalId: session.professionalId }, 'professional logged out');
    res.clearCookie(cookieName, { path: '/', httpOnly: true, secure, sameSite: 'lax' });
  });

  return router;
}
