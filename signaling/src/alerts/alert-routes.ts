import { Router, type Response } from 'express';
import { alertLinkRequest, smsCodeRequest, smsPhoneRequest, type SmsSettingsInfo } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { parse } from '../http/validate.ts';
import { requireProfessional, type AuthedLocals } from '../http/request-guards.ts';
import type { Services } from '../services.ts';
import type { SmsAlerts } from './sms-alerts.ts';

/** A professional's own SMS alert settings, and opening the link an arrival SMS carries. */
export function alertRoutes(s: Services, sms: SmsAlerts): Router {
  const router = Router();
  const authed = requireProfessional(s.sessions, s.config.cookieSecure);
  const who = (res: Response<unknown, AuthedLocals>) => res.locals.session;

  router.get('/api/settings/sms', authed, async (_req, res: Response<unknown, AuthedLocals>) => {
    const body: SmsSettingsInfo = await sms.settings(who(res).orgId, who(res).professionalId);
    res.json(body);
  });

  router.post('/api/settings/sms/phone', authed, async (req, res: Response<unknown, AuthedLocals>) => {
    const { phone, language } = parse(smsPhoneRequest, req.body);
    await sms.startVerification(who(res).orgId, who(res).professionalId, phone, language);
    res.status(204).end();
  });

  router.post('/api/settings/sms/verify', authed, async (req, res: Response<unknown, AuthedLocals>) => {
    const { code } = parse(smsCodeRequest, req.body);
    if (!(await sms.verify(who(res).orgId, who(res).professionalId, code))) throw new AppError('invalid_code', 'wrong or expired code');
    s.log.info({ orgId: who(res).orgId, professionalId: who(res).professionalId }, 'SMS alerts turned on');
    res.json(await sms.settings(who(res).orgId, who(res).professionalId));
  });

  router.delete('/api/settings/sms', authed, async (_req, res: Response<unknown, AuthedLocals>) => {
    await sms.turnOff(who(res).orgId, who(res).professionalId);
    res.status(204).end();
  });

  /** The visitor an SMS link points to, if it is still valid and that visitor is in a room of this member. */
  router.post('/api/alert-links/open', authed, async (req, res: Response<unknown, AuthedLocals>) => {
    const { token } = parse(alertLinkRequest, req.body);
    const { orgId, professionalId } = who(res);
    const visitorId = sms.openLink(token);
    const [visitor, pro] = await Promise.all([visitorId ? s.waitingRoom.getVisitor(orgId, visitorId) : null, s.organizations.getProfessional(orgId, professionalId)]);
    if (!visitor || !pro || !(await s.organizations.mayActOn(pro, visitor.roomId))) throw notFound('this link has expired');
    res.json({ visitorId: visitor.id, waiting: visitor.state === 'waiting' });
  });

  return router;
}
