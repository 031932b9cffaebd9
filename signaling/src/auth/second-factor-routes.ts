import { Router } from 'express';
import { memberRoutes, type SecondFactorEnabled, type SecondFactorSetupInfo } from '../../protocol/index.ts';
import { AppError } from '../errors.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import { requireProfessional } from '../http/request-guards.ts';
import type { Services } from '../services.ts';
import { meOf, stepAfterSecondFactor } from './auth-routes.ts';
import { httpActorOf } from '../audit/audit-context.ts';

const WINDOW_MS = 15 * 60_000;

/**
 * The second step of a password login: a code from the member's authenticator app (or a recovery code),
 * and at the first login setting the app up. Wrong codes count against the member and their address.
 */
export function secondFactorRoutes(s: Pick<Services, 'audit' | 'config' | 'log' | 'organizations' | 'rateLimiter' | 'secondFactor' | 'sessions' | 'waitingRoom'>): Router {
  const router = Router();
  const routes = typedRoutes(router, s);
  const secure = s.config.cookieSecure;
  const verifying = requireProfessional(s.sessions, secure, { during: ['second-factor'], onlyDuring: true });
  const settingUp = requireProfessional(s.sessions, secure, { during: ['second-factor-setup'], onlyDuring: true });

  async function allowAttempt(professionalId: string, address: string | undefined): Promise<void> {
    const byAccount = await s.rateLimiter.allow('second-factor-account', professionalId, s.config.LOGIN_LIMIT_PER_ACCOUNT, WINDOW_MS);
    const byAddress = await s.rateLimiter.allow('second-factor-address', { address }, s.config.LOGIN_LIMIT_PER_ADDRESS, WINDOW_MS);
    if (!byAccount || !byAddress) throw new AppError('rate_limited', 'too many attempts; try again in 15 minutes');
  }

  routes.on(memberRoutes.secondFactor, verifying, async ({ body: { code } }, req, res) => {
    const { session } = res.locals;
    await allowAttempt(session.professionalId, req.ip);
    if (!(await s.secondFactor.verify(session.orgId, session.professionalId, code))) {
      s.log.info({ orgId: session.orgId, professionalId: session.professionalId, event: 'second_factor_failed' }, 'wrong second factor');
      await s.audit.record({ ...httpActorOf(req, res), actor: 'system', action: 'login_failed', targetId: session.professionalId, detail: { method: 'password_totp', step: 'second_factor' } });
      throw new AppError('invalid_code', 'wrong or already used code');
    }
    // Audited before the session may do anything (or the login is refused): see AuditLog.recordOrRefuse.
    await s.audit.recordOrRefuse({ ...httpActorOf(req, res), action: 'login', detail: { method: 'password_totp' } });
    const next = await s.sessions.advance(session, await stepAfterSecondFactor(s, session));
    s.log.info({ orgId: session.orgId, professionalId: session.professionalId, method: 'password+totp' }, 'professional logged in');
    return meOf(s, next);
  });

  /** The secret to add to an app; the same one until it is turned on (a reload shows the same QR code). */
  routes.on(memberRoutes.secondFactorSetup, settingUp, async (_input, _req, res) => {
    const { session } = res.locals;
    const pro = await s.organizations.getProfessional(session.orgId, session.professionalId);
    if (!pro) throw new AppError('unauthorized', 'please log in');
    let made: SecondFactorSetupInfo | undefined;
    const sealed = await s.sessions.setupSecret(session, async () => s.secondFactor.sealSetup(session, (made = await s.secondFactor.newSetup(pro.email)).secret));
    const secret = made?.secret ?? s.secondFactor.openSetup(session, sealed);
    if (!secret) throw new AppError('unauthorized', 'please log in');
    const body: SecondFactorSetupInfo = made ?? (await s.secondFactor.setupFor(secret, pro.email));
    return body;
  });

  routes.on(memberRoutes.enableSecondFactor, settingUp, async ({ body: { code } }, req, res) => {
    const { session } = res.locals;
    await allowAttempt(session.professionalId, req.ip);
    const sealed = await s.sessions.setupSecret(session, async () => {
      throw new AppError('bad_request', 'get the setup first');
    });
    const secret = s.secondFactor.openSetup(session, sealed);
    if (!secret) throw new AppError('bad_request', 'get the setup first');
    const recoveryCodes = await s.secondFactor.enable(session.orgId, session.professionalId, secret, code);
    if (!recoveryCodes) throw new AppError('invalid_code', 'that code is not from this setup; check the app and try again');
    await s.audit.recordOrRefuse({ ...httpActorOf(req, res), action: 'login', detail: { method: 'password_totp', secondFactor: 'set_up' } });
    const next = await s.sessions.advance(session, await stepAfterSecondFactor(s, session));
    s.log.info({ orgId: session.orgId, professionalId: session.professionalId, method: 'password+totp', secondFactor: 'set up' }, 'professional logged in');
    const body: SecondFactorEnabled = { recoveryCodes, me: await meOf(s, next) };
    return body;
  });

  return router;
}
