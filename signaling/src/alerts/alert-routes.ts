import { Router, type Response } from 'express';
import { memberRoutes, type SmsSettingsInfo } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import { requireProfessional, type AuthedLocals } from '../http/request-guards.ts';
import type { Services } from '../services.ts';
import type { SmsAlerts } from './sms-alerts.ts';

/** A professional's own SMS alert settings, and opening the link an arrival SMS carries. */
export function alertRoutes(s: Pick<Services, 'config' | 'log' | 'organizations' | 'sessions' | 'waitingRoom'>, sms: SmsAlerts): Router {
  const router = Router();
  const authed = requireProfessional(s.sessions, s.config.cookieSecure);
  const routes = typedRoutes(router, s);
  const who = (res: Response<unknown, AuthedLocals>) => res.locals.session;

  routes.on(memberRoutes.smsSettings, authed, async (_input, _req, res): Promise<SmsSettingsInfo> => sms.settings(who(res).orgId, who(res).professionalId));

  routes.on(memberRoutes.smsPhone, authed, async ({ body: { phone, language } }, _req, res) => {
    await sms.startVerification(who(res).orgId, who(res).professionalId, phone, language);
  });

  routes.on(memberRoutes.smsVerify, authed, async ({ body: { code } }, _req, res) => {
    if (!(await sms.verify(who(res).orgId, who(res).professionalId, code))) throw new AppError('invalid_code', 'wrong or expired code');
    s.log.info({ orgId: who(res).orgId, professionalId: who(res).professionalId }, 'SMS alerts turned on');
    return sms.settings(who(res).orgId, who(res).professionalId);
  });

  routes.on(memberRoutes.smsOff, authed, async (_input, _req, res) => {
    await sms.turnOff(who(res).orgId, who(res).professionalId);
  });

  /** The visitor an SMS link points to, if it is still valid and that visitor is in a room of this member. */
  routes.on(memberRoutes.openAlertLink, authed, async ({ body: { token } }, _req, res) => {
    const { orgId, professionalId } = who(res);
    const visitorId = sms.openLink(token);
    const [visitor, pro] = await Promise.all([visitorId ? s.waitingRoom.getVisitor(orgId, visitorId) : null, s.organizations.getProfessional(orgId, professionalId)]);
    if (!visitor || !pro || !(await s.organizations.mayActOn(pro, visitor.roomId))) throw notFound('this link has expired');
    return { visitorId: visitor.id, waiting: visitor.state === 'waiting' };
  });

  return router;
}
