import { Router } from 'express';
import { checkInAnswersSchema, visitorRoutes, type CheckInConfig, type DeviceCheckDetails, type DeviceCheckReport, type VisitResponse } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { parse } from '../http/validate.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { Services } from '../services.ts';
import { stepsOf } from './check-in-steps.ts';
import { announceArrival } from '../waiting-room/arrival.ts';

export function checkInRoutes(s: Pick<Services, 'config' | 'consultations' | 'domainEvents' | 'lifecycle' | 'log' | 'networkChecks' | 'organizations' | 'payments' | 'rateLimiter' | 'waitingRoom'>): Router {
  const router = Router();
  const routes = typedRoutes(router, s);

  /**
   * A visitor checks in: they get the token that resumes their visit, and enter the room's waiting list
   * (or, where the room asks for BankID or a payment, do that first).
   */
  // A stopping process takes no one new: the visitor app tries again in a moment, reaching another process.
  const notWhileStopping = (_req: unknown, _res: unknown, next: (err?: unknown) => void) =>
    next(s.lifecycle.shuttingDown ? new AppError('shutting_down', 'this server is restarting; try again in a moment') : undefined);

  routes.on(visitorRoutes.checkIn, notWhileStopping, async ({ body }, req) => {
    // The limit and the room's link are looked up together (one round trip to Redis).
    const [allowed, roomOfLink] = await Promise.all([
      s.rateLimiter.allow('join', { address: req.ip }, s.config.JOIN_LIMIT_PER_MINUTE, 60_000),
      'roomSlug' in body ? s.organizations.findRoomBySlugRecent(body.roomSlug) : null,
    ]);
    if (!allowed) throw new AppError('rate_limited', 'too many check-ins from this address; wait a minute');
    // A room link, or a scheduled consultation's private link (which names its room).
    const consultation = 'consultation' in body ? await s.consultations.resolve(body.consultation) : null;
    const linkedRoom = roomOfLink ?? (consultation && (await s.organizations.getRoom(consultation.orgId, consultation.roomId)));
    if (!linkedRoom) throw notFound('This link is not valid');
    // A consultation's own price (given through the API) stands in for the room's, payment step included.
    const room = consultation?.price !== undefined ? { ...linkedRoom, price: consultation.price } : linkedRoom;
    // The room's own form decides what may and must be answered (the same schema the browser checked with).
    const answers = parse(answersSchemaOf(room.checkIn), body.answers);
    const steps = stepsOf(room);
    // A price nobody could pay (the server's Stripe keys are gone): said now, before anything is kept.
    if (steps.includes('payment') && !s.payments.available) throw new AppError('payments_unavailable', 'card payment is not available right now; contact the clinic');
    const deviceCheck = body.deviceCheck && (await deviceCheckDetails(s, body.deviceCheck));
    // (Noted on the consultation in the same step, so cancelling it can take this visitor out of the line;
    // a consultation cancelled since it was resolved above takes no one: 404, as its link now gets.)
    if (steps.length === 0) s.domainEvents.prepare('visitor.arrived', room.orgId);
    const { visitor, visitorToken } = await s.waitingRoom.join(room, answers, Date.now(), consultation ?? undefined, steps, deviceCheck);
    // With steps to do (BankID, payment) the visitor waits only once they are done (see visit:enter).
    if (steps.length === 0) announceArrival(s, room, visitor, false);
    else s.log.info({ orgId: room.orgId, roomId: room.id, visitorId: visitor.id }, 'visitor checking in');
    const response: VisitResponse = { visitorToken, visitorId: visitor.id, steps };
    return response;
  });

  return router;
}

/**
 * A room's form as its answers' schema, kept for the next visitor of a room with the same form: building the
 * schema cost more than parsing with it, at every check-in. Keyed by the form itself, so an admin's change
 * is a new entry; forms are few, but the process lives long, so the cache starts over past a bound.
 */
const answersSchemas = new Map<string, ReturnType<typeof checkInAnswersSchema>>();
function answersSchemaOf(form: CheckInConfig): ReturnType<typeof checkInAnswersSchema> {
  const key = JSON.stringify(form);
  let schema = answersSchemas.get(key);
  if (!schema) {
    if (answersSchemas.size >= 1000) answersSchemas.clear();
    schema = checkInAnswersSchema(form);
    answersSchemas.set(key, schema);
  }
  return schema;
}

/** The browser's own findings (camera, microphone, browser), with the SFU's network figures if the check ran. */
async function deviceCheckDetails(s: Pick<Services, 'networkChecks'>, report: DeviceCheckReport): Promise<DeviceCheckDetails> {
  const network = report.networkCheckId ? await s.networkChecks.get(report.networkCheckId) : null;
  return { browser: report.browser, camera: report.camera, microphone: report.microphone, ...(network ? { network } : {}) };
}
