import { professionalEvents } from '../../protocol/index.ts';
import type { CallService } from '../calls/call-service.ts';
import type { CallParticipant } from '../calls/call-participant.ts';
import type { WaitingMessages } from '../messages/message-handlers.ts';
import { retentionMsOf } from '../organizations/organization-store.ts';
import { callHandlers } from '../calls/call-handlers.ts';
import { readyCallHandlers } from '../calls/ready-call-handlers.ts';
import { invitationHandlers } from '../calls/invitation-handlers.ts';
import { sendBackHandler } from '../calls/send-back-handler.ts';
import { AppError, notFound } from '../errors.ts';
import { sessionCookieOf } from '../http/request-guards.ts';
import { bindEvents } from '../socket/bind-events.ts';
import { socketRooms, type ProfessionalNamespace, type ProfessionalSocket } from '../socket/types.ts';
import type { Services } from '../services.ts';
import { socketActorOf } from '../audit/audit-context.ts';
import { revealNationalId } from '../bankid/visitor-identity.ts';
import { keys } from '../redis/keys.ts';
import { MediaError } from '../../../sfu/src/index.ts';

/** The dashboard's socket: authenticated by the login session cookie, re-checked before every event. */
export function attachProfessionalNamespace(nsp: ProfessionalNamespace, s: Services, calls: CallService, messages: WaitingMessages): void {
  nsp.use(async (socket, next) => {
    const session = await s.sessions.resolve(sessionCookieOf(socket.handshake.headers.cookie, s.config.cookieSecure)).catch(() => null);
    // A session with a login step still to take (second factor, new password) gets no queue and no calls.
    if (!session || session.pending) return next(new Error('unauthorized'));
    const pro = await s.organizations.getProfessional(session.orgId, session.professionalId).catch(() => null);
    if (!pro) return next(new Error('unauthorized'));
    // Known before the connection completes, so the dashboard hears of every arrival after its first list.
    const roomIds = (await s.organizations.roomsOf(pro)).map((r) => r.id);
    socket.data = { session, roomIds, admin: pro.role === 'admin' };
    next();
  });

  nsp.on('connection', (socket: ProfessionalSocket) => {
    const { session, roomIds } = socket.data;
    const { orgId, professionalId } = session;
    void socket.join([
      socketRooms.organization(orgId),
      socketRooms.session(orgId, session.sessionHash),
      socketRooms.professional(orgId, professionalId),
      ...(socket.data.admin ? [socketRooms.admins(orgId)] : []),
      ...roomIds.map((id) => socketRooms.room(orgId, id)),
    ]);
    const participant: CallParticipant = { role: 'professional', orgId, id: professionalId };
    /** This member, session and address, as the audit log names them. */
    const who = socketActorOf(s.config.trustProxy, session, socket.request);
    /** The member as stored now: a role or room change applies at the next event. */
    const member = async () => {
      const pro = await s.organizations.getProfessional(orgId, professionalId);
      if (!pro) throw new AppError('unauthorized', 'please log in again');
      return pro;
    };
    /**
     * The member, and a visitor of a room they may act on. A visitor in a room this member does not
     * belong to is as unknown as one that does not exist.
     */
    const visitorToActOn = async (visitorId: string) => {
      const [pro, waiting] = await Promise.all([member(), s.waitingRoom.getVisitor(orgId, visitorId)]);
      if (!waiting || !(await s.organizations.mayActOn(pro, waiting.roomId))) throw notFound('no such visitor');
      return { pro, waiting };
    };

    /** A second visitor (an interpreter, a relative) into an ongoing call of this professional's. */
    const admitIntoCall = async (visitorId: string, callId: string) => {
      const { pro, waiting } = await visitorToActOn(visitorId);
      await calls.admitInto(participant, callId, waiting);
      return { pro, waiting, callId, lineNow: null };
    };
    /**
     * A visitor into a new call, or into this dashboard's ready call (`readyCallId`). The admission script
     * itself checks that this member may act on the visitor's room (one round trip less).
     */
    const admitIntoNewCall = async (visitorId: string, readyCallId: string | undefined) => {
      const [pro, waiting] = await Promise.all([member(), s.waitingRoom.getVisitor(orgId, visitorId)]);
      if (!waiting) throw notFound('no such visitor');
      s.domainEvents.prepare('visitor.admitted', orgId);
      const { callId, lineNow } = await s.waitingRoom.admit(waiting, pro, Date.now(), readyCallId);
      if (readyCallId) calls.ready.started(readyCallId);
      // Otherwise start the call's router now, while the admission messages travel.
      // A call hung up before its router exists closes it as it arrives (MediaError): nothing went wrong.
      else {
        s.media.routerFor(callId).catch((err: Error) => {
          if (!(err instanceof MediaError)) s.log.error({ callId, err: err.message }, 'could not create router');
        });
      }
      return { pro, waiting, callId, lineNow };
    };

    // A session that expired or was logged out elsewhere stops working at the next event. Renewing it on
    // every event would cost a round trip each; renewing at most every renewEveryMs keeps the idle timeout
    // to within a quarter of it (and a logout or a member's removal closes this socket at once anyway).
    let renewedAt = 0;
    const guard = async () => {
      const now = Date.now();
      if (now - renewedAt < s.sessions.renewEveryMs && now - session.createdAt < s.sessions.maxAgeMs) return;
      if (await s.sessions.touch(session, now)) {
        renewedAt = now;
        return;
      }
      s.notify.sessionEnded(orgId, session.sessionHash);
      throw new AppError('unauthorized', 'please log in again');
    };

    bindEvents(
      socket,
      professionalEvents,
      {
        ...callHandlers(socket, participant, calls),
        ...readyCallHandlers(socket, participant, calls.ready),
        ...invitationHandlers(participant, calls.invitations),
        ...sendBackHandler(socket, participant, calls, s.domainEvents, who),
        ...messages.forProfessional(socket, visitorToActOn),
        'queue:list': async () => {
          const [org, rooms] = await Promise.all([s.organizations.getOrganization(orgId), s.organizations.roomsOf(await member())]);
          const visitors = await s.waitingRoom.listWaiting(orgId, rooms, retentionMsOf(org));
          rooms.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'personal' ? -1 : 1));
          const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
          const transferTargets = (await s.organizations.listRooms(orgId)).map((r) => ({ roomId: r.id, name: r.name })).sort(byName);
          const colleagues = (await s.organizations.listProfessionals(orgId))
            .filter((p) => p.id !== professionalId)
            .map((p) => ({ professionalId: p.id, name: p.name }))
            .sort(byName);
          return {
            rooms: rooms.map((r) => ({ roomId: r.id, name: r.name, slug: r.slug, kind: r.kind, pseudonymous: r.checkIn.pseudonymous })),
            visitors,
            transferTargets,
            colleagues,
            quickReplies: org?.quickReplies ?? [],
          };
        },
        'queue:deny': async ({ visitorId, message }) => {
          const { pro, waiting } = await visitorToActOn(visitorId);
          await s.waitingRoom.deny(waiting, message);
          // The message may hold anything the professional typed: it goes to the visitor, never to a log.
          s.log.info({ orgId, visitorId, professionalId }, 'visitor denied');
          await s.domainEvents.publish('visitor.denied', { visitor: waiting, ...(message ? { message } : {}), actor: who, by: pro.name });
          return {};
        },
        'queue:transfer': async ({ visitorId, roomId }) => {
          const [{ pro, waiting }, target] = await Promise.all([visitorToActOn(visitorId), s.organizations.getRoom(orgId, roomId)]);
          if (!target) throw notFound('no such room');
          if (target.id === waiting.roomId) throw new AppError('bad_request', 'roomId: the visitor is in that room already');
          await s.waitingRoom.transfer(waiting, target.id);
          s.log.info({ orgId, visitorId, professionalId, from: waiting.roomId, to: target.id }, 'visitor transferred');
          await s.domainEvents.publish('visitor.transferred', { visitor: waiting, to: target, actor: who, by: pro.name });
          return {};
        },
        'queue:admit': async ({ visitorId, callId: intoCallId }) => {
          const intoOngoingCall = !!intoCallId && !calls.ready.isReadyFor(socket, participant, intoCallId);
          const { pro, waiting, callId, lineNow } = intoOngoingCall ? await admitIntoCall(visitorId, intoCallId) : await admitIntoNewCall(visitorId, intoCallId);
          s.log.info({ orgId, visitorId, professionalId, callId }, 'visitor admitted');
          // Told at once, then answered; the audit entries follow the visitor's join (see domain-events.ts).
          await Promise.all([
            s.domainEvents.publish('visitor.admitted', { visitor: waiting, callId, actor: who, by: pro.name, intoOngoingCall, lineNow }),
            intoOngoingCall ? null : s.domainEvents.publish('call.started', { visitor: waiting, callId, actor: who }),
          ]);
          return { callId };
        },
        'queue:identity': async ({ visitorId }) => {
          const [pro, visitor] = await Promise.all([member(), s.waitingRoom.getVisitor(orgId, visitorId)]);
          // Need to know: a visitor in line in a room this member may act on, or in a call with this member.
          // Anyone else (and a visitor with no national id on record) is as unknown as no visitor.
          const handles =
            visitor?.state === 'waiting'
              ? await s.organizations.mayActOn(pro, visitor.roomId)
              : visitor?.state === 'in_call' && !!visitor.callId && (await s.redis.sismember(keys.callMembers(orgId, visitor.callId), `professional:${professionalId}`)) === 1;
          if (!visitor || !handles) throw notFound('no such visitor');
          return revealNationalId(s, who, visitor.id, visitor.state === 'in_call' ? { callId: visitor.callId! } : { roomId: visitor.roomId });
        },
      },
      s.log,
      guard,
    );
    // A session can end with no event from this socket (idle timeout, maximum age): an open dashboard
    // must not go on receiving who arrives, so it re-checks and is closed when the session is gone.
    const stopChecking = s.clock.every(s.config.SESSION_CHECK_SECONDS * 1000, () =>
      s.sessions.isAlive(session).then(
        (alive) => alive || s.notify.sessionEnded(orgId, session.sessionHash),
        (err: Error) => s.log.warn({ err: err.message }, 'could not check a session'),
      ),
    );
    socket.on('disconnect', () => {
      stopChecking();
      calls.socketGone(socket);
    });
  });
}
