import path from 'node:path';
import { Router, type Response } from 'express';
import { consultationLinkRequest, consultationPage, consultationPageWithSecret, consultationRequest, privacyPagePath, type ConsultationCreated, type RoomInfo } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { parse } from '../http/validate.ts';
import { requireProfessional, type AuthedLocals } from '../http/request-guards.ts';
import type { Services } from '../services.ts';
import { scheduleConsultation } from './schedule.ts';

export function consultationRoutes(s: Services): Router {
  const router = Router();
  const authed = requireProfessional(s.sessions, s.config.cookieSecure);

  /** A professional schedules a consultation in a room they may act on, and gets the visitor's private link. */
  router.post('/api/consultations', authed, async (req, res: Response<unknown, AuthedLocals>) => {
    const { orgId, professionalId } = res.locals.session;
    const body = parse(consultationRequest, req.body);
    const pro = await s.organizations.getProfessional(orgId, professionalId);
    if (!pro || !(await s.organizations.mayActOn(pro, body.roomId))) throw notFound('no such room');
    const { consultation, visitorLink } = await scheduleConsultation(s, { orgId, roomId: body.roomId, professionalId, scheduledAt: body.scheduledAt ?? null });
    const created: ConsultationCreated = { consultationId: consultation.id, visitorLink, scheduledAt: consultation.scheduledAt };
    res.status(201).json(created);
  });

  /** What the visitor's page shows for the link: the room, who expects them, and when. */
  router.post('/api/consultations/link', async (req, res) => {
    const parsed = consultationLinkRequest.safeParse(req.body);
    const consultation = parsed.success ? await s.consultations.resolve(parsed.data.token, { cancelled: true }) : null;
    const room = consultation && (await s.organizations.getRoom(consultation.orgId, consultation.roomId));
    if (!consultation || !room) {
      const allowed = await s.rateLimiter.allow('unknown-room', { address: req.ip }, s.config.UNKNOWN_ROOM_LIMIT_PER_MINUTE, 60_000);
      throw allowed ? notFound('This link is not valid') : new AppError('rate_limited', 'too many requests');
    }
    const [professionalName, timeZone] = await Promise.all([s.organizations.hostNameOf(room), s.organizations.timeZoneOf(room.orgId)]);
    const body: RoomInfo = {
      name: room.name,
      professionalName,
      timeZone,
      checkIn: room.checkIn,
      // A consultation's own price (given through the API) stands in for the room's.
      price: consultation.price !== undefined ? consultation.price : room.price,
      ...(consultation.scheduledAt ? { appointmentAt: consultation.scheduledAt } : {}),
      linkState: await s.consultations.linkStateOf(consultation),
      privacyPage: privacyPagePath(room.orgId),
    };
    // Whoever holds the link may see what the clinic prefilled for its visitor (the link is the secret).
    // (Only while it checks someone in: an ended or cancelled link shows nothing about its visitor.)
    const prefill = body.linkState === 'open' ? await s.consultations.prefillOf(consultation) : {};
    if (prefill.name || prefill.phone) body.prefill = prefill;
    res.json(body);
  });

  /*
   * The visitor app, for a consultation's link. The page cannot know whether the link is good (its secret
   * is in the fragment): the app asks, and shows "This link is not valid" itself. A link of the old form,
   * with the secret in the path, still opens (it may sit in a visitor's SMS), without being looked up here,
   * so the path is never a way to test secrets; the app moves the secret out of the address at once.
   */
  router.get('/c/:page', async (req, res) => {
    const wellFormed = consultationPage.safeParse(req.params.page).success || consultationPageWithSecret.safeParse(req.params.page).success;
    res
      .status(wellFormed ? 200 : 404)
      .set('Referrer-Policy', 'no-referrer')
      .sendFile(path.join(s.config.CLIENT_DIST, 'index.html'));
  });

  return router;
}
