import { queueCardOf } from '../waiting-room/queue-card.ts';
import type { Namespace, Socket } from 'socket.io';
import {
  embeddedProfessionalEvents,
  type EmbeddedConsultationStatus,
  type EmbeddedProfessionalClientEvents,
  type EmbeddedProfessionalServerEvents,
  type WaitingVisitor,
} from '../../protocol/index.ts';
import { socketActorOf } from '../audit/audit-context.ts';
import type { Session } from '../auth/session-store.ts';
import type { CallParticipant } from '../calls/call-participant.ts';
import type { CallService } from '../calls/call-service.ts';
import { callHandlers } from '../calls/call-handlers.ts';
import { AppError, notFound } from '../errors.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';
import { bindEvents, type Handlers } from '../socket/bind-events.ts';
import { socketRooms, type ProfessionalSocket } from '../socket/types.ts';
import type { EmbeddedSession } from './embedded-sessions.ts';
import { consultationOver, isClosed } from './embedding-routes.ts';
import { revealNationalId } from '../bankid/visitor-identity.ts';

export interface EmbeddedSocketData {
  embedded: EmbeddedSession;
  /**
   * The shape call handling expects of a dashboard's socket. Its hash names no login session, so the
   * call's keep-alive renews nothing here; the guard below renews the embedded session instead.
   */
  session: Session;
}
export type EmbeddedProfessionalNamespace = Namespace<EmbeddedProfessionalClientEvents, EmbeddedProfessionalServerEvents, {}, EmbeddedSocketData>;
type EmbeddedSocket = Socket<EmbeddedProfessionalClientEvents, EmbeddedProfessionalServerEvents, {}, EmbeddedSocketData>;

/** The consultation's visitor as a queue card shows them, while they wait; null otherwise. */
async function waitingVisitorOf(s: Pick<Services, 'organizations' | 'waitingRoom'>, orgId: string, visitorId: string | null): Promise<WaitingVisitor | null> {
  const visitor = visitorId ? await s.waitingRoom.getVisitor(orgId, visitorId) : null;
  if (!visitor || visitor.state !== 'waiting') return null;
  const room = await s.organizations.getRoom(orgId, visitor.roomId);
  if (!room) return null;
  return queueCardOf(visitor, room);
}

/** The visitor who came with the consultation's link (noted on it by their arrival event), if any. */
async function visitorIdOf(s: Pick<Services, 'redis'>, orgId: string, consultationId: string): Promise<string | null> {
  const [state, visitorId] = await s.redis.hmget(keys.consultation(orgId, consultationId), 'state', 'visitorId');
  if (!state || state === 'cancelled') throw notFound('no such consultation');
  return visitorId || null;
}

/**
 * The embedded professional view's socket: a namespace of its own, authenticated by an embedded session's
 * bearer token (the `auth` payload; no cookie), which can only ever see and act on its one consultation's
 * visitor: their arrival, admitting them, and the call that follows. No other visitor, no queue of the
 * room, no history, no admin; every call event must name that visitor's call.
 */
export function attachEmbeddedProfessionalNamespace(nsp: EmbeddedProfessionalNamespace, s: Services, calls: CallService): void {
  nsp.use(async (socket, next) => {
    const embedded = await s.embedding.sessions.resolve((socket.handshake.auth as { token?: unknown }).token).catch(() => null);
    const pro = embedded && (await s.organizations.getProfessional(embedded.orgId, embedded.professionalId).catch(() => null));
    if (!embedded || !pro || (await isClosed(s, embedded.orgId).catch(() => true))) return next(new Error('unauthorized'));
    const { orgId, professionalId, sessionHash, createdAt } = embedded;
    socket.data = { embedded, session: { orgId, professionalId, sessionHash, createdAt, csrfToken: '' } };
    next();
  });

  // What happens to a consultation reaches its embedded views (from whichever process it happened in).
  s.events.subscribe(async (event) => {
    if (!event.consultationId) return;
    if (event.type === 'visitor.arrived' || event.type === 'visitor.transferred') {
      s.notify.consultationVisitor(event.organizationId, event.consultationId, await waitingVisitorOf(s, event.organizationId, event.data.visitorId ?? null));
    } else if (event.type === 'visitor.left' || event.type === 'visitor.denied' || event.type === 'visitor.admitted') {
      s.notify.consultationVisitor(event.organizationId, event.consultationId, null);
    }
    // The consultation's sessions end with it (its call ended, the visitor was turned away, it was cancelled).
    if (event.type === 'call.ended' || event.type === 'visitor.left' || event.type === 'visitor.denied' || event.type === 'consultation.cancelled') {
      const state = await s.redis.hget(keys.consultation(event.organizationId, event.consultationId), 'state');
      if (consultationOver(state)) s.notify.embeddedSessionsEnded(event.organizationId, await s.embedding.sessions.endConsultation(event.organizationId, event.consultationId));
    }
  });

  nsp.on('connection', (socket: EmbeddedSocket) => {
    const { embedded } = socket.data;
    const { orgId, professionalId, consultationId } = embedded;
    void socket.join([socketRooms.embedConsultation(orgId, consultationId), socketRooms.embedSession(orgId, embedded.sessionHash)]);
    const participant: CallParticipant = { role: 'professional', orgId, id: professionalId };
    const who = socketActorOf(s.config.trustProxy, socket.data.session, socket.request);
    // CallService uses of a socket only what this one has as well (rooms, the call events, data.session).
    const asDashboardSocket = socket as unknown as ProfessionalSocket;

    const member = async () => {
      const pro = await s.organizations.getProfessional(orgId, professionalId);
      if (!pro) throw new AppError('unauthorized', 'please open the consultation again');
      return pro;
    };
    /** The call of the consultation's visitor: the only call this socket may take part in. */
    const consultationCall = async (): Promise<string | null> => {
      const visitorId = await visitorIdOf(s, orgId, consultationId);
      const visitor = visitorId ? await s.waitingRoom.getVisitor(orgId, visitorId) : null;
      return visitor?.state === 'in_call' && visitor.callId ? visitor.callId : null;
    };

    let renewedAt = 0;
    const guard = async () => {
      const now = Date.now();
      if (now - renewedAt < s.sessions.renewEveryMs) return;
      if (await s.embedding.sessions.touch(embedded, now)) {
        renewedAt = now;
        return;
      }
      s.notify.embeddedSessionsEnded(orgId, [embedded.sessionHash]);
      throw new AppError('unauthorized', 'please open the consultation again');
    };

    const inCall = callHandlers(asDashboardSocket, participant, calls);
    /** A call event, refused for any call but the consultation's own. */
    const scoped =
      <Req extends { callId: string }, Res>(handler: (req: Req) => Promise<Res>) =>
      async (req: Req): Promise<Res> => {
        if ((await consultationCall()) !== req.callId) throw notFound('no such call');
        return handler(req);
      };
    // Listed one by one, so a new call event does not type-check here until it is scoped too.
    const scopedCallHandlers: typeof inCall = {
      'call:join': scoped(inCall['call:join']),
      'e2ee:key': scoped(inCall['e2ee:key']),
      'chat:send': scoped(inCall['chat:send']),
      'media:connect-transport': scoped(inCall['media:connect-transport']),
      'media:produce': scoped(inCall['media:produce']),
      'media:close-producer': scoped(inCall['media:close-producer']),
      'media:receive-video': scoped(inCall['media:receive-video']),
      'media:resume-consumer': scoped(inCall['media:resume-consumer']),
      'media:set-producer-paused': scoped(inCall['media:set-producer-paused']),
      'call:hang-up': scoped(inCall['call:hang-up']),
      'call:quality': scoped(inCall['call:quality']),
    };

    const handlers: Handlers<typeof embeddedProfessionalEvents> = {
      ...scopedCallHandlers,
      'consultation:status': async (): Promise<EmbeddedConsultationStatus> => {
        const visitorId = await visitorIdOf(s, orgId, consultationId);
        const [visitor, callId] = await Promise.all([waitingVisitorOf(s, orgId, visitorId), consultationCall()]);
        return { visitor, callId };
      },
      'consultation:admit': async () => {
        const [pro, visitorId] = await Promise.all([member(), visitorIdOf(s, orgId, consultationId)]);
        const waiting = visitorId ? await s.waitingRoom.getVisitor(orgId, visitorId) : null;
        if (!waiting) throw new AppError('not_waiting', 'the visitor is not here yet');
        // The admission script itself checks that this member may act on the visitor's room.
        const { callId, lineNow } = await s.waitingRoom.admit(waiting, pro, Date.now());
        s.media.routerFor(callId).catch((err: Error) => s.log.error({ callId, err: err.message }, 'could not create router'));
        s.log.info({ orgId, visitorId: waiting.id, professionalId, callId, embedded: true }, 'visitor admitted');
        // As from the dashboard: told at once, then the audit entries and webhook events (admitted, then the call's start).
        await Promise.all([
          s.domainEvents.publish('visitor.admitted', { visitor: waiting, callId, actor: who, by: pro.name, intoOngoingCall: false, lineNow, embedded: true }),
          s.domainEvents.publish('call.started', { visitor: waiting, callId, actor: who }),
        ]);
        return { callId };
      },
      'consultation:identity': async () => {
        const visitorId = await visitorIdOf(s, orgId, consultationId);
        const visitor = visitorId ? await s.waitingRoom.getVisitor(orgId, visitorId) : null;
        // The consultation's visitor while they wait for it, or in the call this professional is in.
        const handles =
          visitor?.state === 'waiting' ||
          (visitor?.state === 'in_call' && !!visitor.callId && (await s.redis.sismember(keys.callMembers(orgId, visitor.callId), `professional:${professionalId}`)) === 1);
        if (!visitor || !handles) throw notFound('no such visitor');
        return revealNationalId(s, who, visitor.id, { consultationId, embedded: true });
      },
    };
    bindEvents(socket, embeddedProfessionalEvents, handlers, s.log, guard);
    // As a dashboard's: a session can end with no event from this socket (idle timeout, maximum age, the
    // organization closed from another process), and the view must not go on hearing of its visitor.
    const stopChecking = s.clock.every(s.config.SESSION_CHECK_SECONDS * 1000, () =>
      s.embedding.sessions.isAlive(embedded).then(
        (alive) => alive || s.notify.embeddedSessionsEnded(orgId, [embedded.sessionHash]),
        (err: Error) => s.log.warn({ err: err.message }, 'could not check a session'),
      ),
    );
    socket.on('disconnect', () => {
      stopChecking();
      calls.socketGone(asDashboardSocket);
    });
  });
}
