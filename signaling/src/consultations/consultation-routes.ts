import path from 'node:path';
import { Router } from 'express';
import {
  memberRoutes,
  consultationPage,
  consultationPageWithSecret,
  privacyPagePath,
  visitorRoutes,
  type ConsultationCreated,
  type RoomInfo,
  type UpcomingConsultations,
  type VisitorCancelled,
} from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import { requireProfessional } from '../http/request-guards.ts';
import { retentionMsOf } from '../organizations/organization-store.ts';
import type { Services } from '../services.ts';
import type { ConsultationInvitations } from './invitations.ts';
import { cancelConsultation } from './schedule.ts';

/** How far back the professional's list of upcoming consultations reaches (one running late is still "upcoming"), and how many it shows. */
const UPCOMING_SINCE_MS = 3_600_000;
const UPCOMING_MAX = 100;

export function consultationRoutes(s: Pick<Services, 'config' | 'consultations' | 'domainEvents' | 'log' | 'organizations' | 'rateLimiter' | 'redis' | 'sessions' | 'waitingRoom'>, invitations: ConsultationInvitations): Router {
  const router = Router();
  const authed = requireProfessional(s.sessions, s.config.cookieSecure);
  const routes = typedRoutes(router, s);

  /**
   * A professional schedules a consultation in a room they may act on, and gets the visitor's private
   * link; with the visitor's phone and/or e-mail address the link is sent to them too.
   */
  routes.on(memberRoutes.schedule, authed, async ({ body }, _req, res) => {
    const { orgId, professionalId } = res.locals.session;
    const pro = await s.organizations.getProfessional(orgId, professionalId);
    if (!pro || !(await s.organizations.mayActOn(pro, body.roomId))) throw notFound('no such room');
    const created: ConsultationCreated = await invitations.schedule(orgId, professionalId, body);
    return created;
  });

  /** The consultations of the rooms this professional may act on, from an hour ago on, soonest first. */
  routes.on(memberRoutes.upcoming, authed, async (_input, _req, res) => {
    const { orgId, professionalId } = res.locals.session;
    const pro = await s.organizations.getProfessional(orgId, professionalId);
    if (!pro) throw notFound('no such member');
    const [rooms, org] = await Promise.all([s.organizations.roomsOf(pro), s.organizations.getOrganization(orgId)]);
    const roomName = new Map(rooms.map((r) => [r.id, r.name]));
    const records = await s.consultations.upcoming(orgId, Date.now() - UPCOMING_SINCE_MS, UPCOMING_MAX, retentionMsOf(org));
    const mine = records.filter((r) => roomName.has(r.roomId));
    const body: UpcomingConsultations = { consultations: await Promise.all(mine.map((r) => invitations.upcomingView(orgId, r, roomName.get(r.roomId)!))) };
    return body;
  });

  /**
   * The visitor cancels from their link, before the consultation: refused while they are in the call; a
   * second time answers that it is cancelled already (their page says so, not an error).
   */
  // (Before the member's route below, whose :id would take 'link'.)
  routes.on(visitorRoutes.cancelFromLink, async ({ body }, req) => {
    const consultation = body ? await s.consultations.resolve(body.token, { cancelled: true }) : null;
    if (!consultation) {
      const allowed = await s.rateLimiter.allow('unknown-room', { address: req.ip }, s.config.UNKNOWN_ROOM_LIMIT_PER_MINUTE, 60_000);
      throw allowed ? notFound('This link is not valid') : new AppError('rate_limited', 'too many requests');
    }
    const { alreadyCancelled } = await cancelConsultation(s, consultation.orgId, consultation.id, { visitor: true });
    const answer: VisitorCancelled = { alreadyCancelled, cancelledBy: (await s.consultations.cancelledByOf(consultation)) === 'visitor' ? 'visitor' : 'clinic' };
    return answer;
  });

  /** A professional cancels a consultation of a room they may act on (refused while its visitor is in a call). */
  routes.on(memberRoutes.cancelConsultation, authed, async ({ params: { id } }, _req, res) => {
    const { orgId, professionalId } = res.locals.session;
    const [pro, org] = await Promise.all([s.organizations.getProfessional(orgId, professionalId), s.organizations.getOrganization(orgId)]);
    const record = await s.consultations.get(orgId, id, retentionMsOf(org));
    if (!pro || !record || !(await s.organizations.mayActOn(pro, record.roomId))) throw notFound('no such consultation');
    await cancelConsultation(s, orgId, id, { memberId: professionalId });
  });

  /** What the visitor's page shows for the link: the room, who expects them, and when. */
  routes.on(visitorRoutes.consultationLink, async ({ body: request }, req) => {
    const consultation = request ? await s.consultations.resolve(request.token, { cancelled: true }) : null;
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
    if (body.linkState === 'cancelled') body.cancelledBy = (await s.consultations.cancelledByOf(consultation)) === 'visitor' ? 'visitor' : 'clinic';
    // Whoever holds the link may see what the clinic prefilled for its visitor (the link is the secret).
    // (Only while it checks someone in: an ended or cancelled link shows nothing about its visitor.)
    const prefill = body.linkState === 'open' ? await s.consultations.prefillOf(consultation) : {};
    if (prefill.name || prefill.phone) body.prefill = prefill;
    return body;
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
