import { callEvents, visitorEvents, type VisitState } from '../../protocol/index.ts';
import type { CallService } from '../calls/call-service.ts';
import type { CallParticipant } from '../calls/call-participant.ts';
import { AppError, notFound } from '../errors.ts';
import { bindEvents, Later } from '../socket/bind-events.ts';
import { socketRooms, type VisitorNamespace, type VisitorSocket } from '../socket/types.ts';
import type { Services } from '../services.ts';
import { callHandlers } from '../calls/call-handlers.ts';
import type { VisitorPresence } from './visitor-presence.ts';
import type { WaitingMessages } from '../messages/message-handlers.ts';
import { placeOf } from './queue-place.ts';
import { announceArrival } from './arrival.ts';
import { remainingSteps } from '../check-in/check-in-steps.ts';
import { settleEndedVisits } from '../payments/settle-visits.ts';

/**
 * The visitor's socket. It authenticates with the visitor token and joins only its own visitor room,
 * so while waiting it hears nothing but its own admission. Call events come after admission, once it
 * has joined the call it was admitted to.
 */
export function attachVisitorNamespace(
  nsp: VisitorNamespace,
  s: Services,
  calls: CallService,
  presence: VisitorPresence,
  messages: WaitingMessages,
): void {
  /** Whether the presence mark sent with a socket's token check marked its visitor online. */
  const markedOnline = new WeakMap<object, boolean>();
  const noPresence = (err: Error) => {
    s.log.warn({ err: err.message }, 'could not record presence');
    return false;
  };
  nsp.use(async (socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    // The presence mark goes with the token's check, in one round trip: its script marks only the visitor
    // whose token it is (and nobody for a wrong one); the read goes first, so it shows them as they were.
    const [visitor, online] = await Promise.all([s.waitingRoom.authenticate(token).catch(() => null), presence.connecting(token).catch(noPresence)]);
    if (!visitor) return next(new Error('not_found'));
    markedOnline.set(socket, online);
    socket.data = { orgId: visitor.orgId, visitorId: visitor.id, visitor };
    next();
  });

  nsp.on('connection', (socket: VisitorSocket) => {
    const { orgId, visitorId } = socket.data;
    void socket.join(socketRooms.visitor(orgId, visitorId));
    const participant: CallParticipant = { role: 'visitor', orgId, id: visitorId };

    // The call's handlers are built once the visitor is in a call: most sockets here only wait.
    bindEvents(
      socket,
      visitorEvents,
      [
        new Later(callEvents, () => callHandlers(socket, participant, calls)),
        messages.forVisitor(socket),
        {
          'visit:status': async () => {
            const known = socket.data.visitor;
            return { visit: await visitState(s, orgId, visitorId, known.state === 'waiting' ? known.roomId : undefined) };
          },
          'visit:enter': async () => {
            const visitor = await s.waitingRoom.getVisitor(orgId, visitorId);
            if (!visitor) throw notFound();
            if (visitor.state !== 'checking_in') return { visit: await visitState(s, orgId, visitorId) };
            const room = await s.organizations.getRoom(orgId, visitor.roomId);
            if (!room) throw notFound();
            // The card counts as authorized only when Stripe says so, never on the browser's word.
            const paid = visitor.steps.includes('payment') && (await s.payments.isAuthorized(orgId, visitorId));
            const waiting = await s.waitingRoom.enter(visitor, paid).catch(async (err: unknown) => {
              // Their consultation was cancelled while they did the steps: the script took them out instead;
              // they are told as the cancellation tells those it finds, and a card held for them is released.
              if (!(err instanceof AppError && err.code === 'not_found')) throw err;
              if ((await s.waitingRoom.getVisitor(orgId, visitorId))?.leftReason !== 'cancelled') throw err;
              settleEndedVisits(s, orgId, [visitorId]);
              return null;
            });
            if (!waiting) return { visit: await visitState(s, orgId, visitorId) };
            socket.data.visitor = waiting;
            announceArrival(s, room, waiting, true);
            void presence.entered(waiting).catch((err: Error) => s.log.warn({ err: err.message }, 'could not record presence'));
            return { visit: await visitState(s, orgId, visitorId) };
          },
          'visit:leave': async () => {
            const visitor = await s.waitingRoom.getVisitor(orgId, visitorId);
            if (!visitor) throw notFound();
            await s.waitingRoom.leave(visitor);
            s.log.info({ orgId, visitorId }, 'visitor left the waiting room');
            await s.domainEvents.publish('visitor.left', { orgId, visitorId, roomId: visitor.roomId, reason: 'left', consultationId: visitor.consultationId ?? null });
            return {};
          },
        },
      ],
      s.log,
    );
    // Waiting with a connection, or without one for a while (the grace period): the dashboards see which.
    void presence.connected(socket.data.visitor, markedOnline.get(socket)).catch((err: Error) => s.log.warn({ err: err.message }, 'could not record presence'));
    socket.on('disconnect', () => {
      calls.socketGone(socket);
      void presence.disconnected(socket.data.visitor).catch((err: Error) => s.log.warn({ err: err.message }, 'could not record presence'));
    });
  });
}

/**
 * `knownRoomId`: the room the visitor was last seen waiting in. Their place there is read with the visitor
 * (one round trip in the usual case); moved to another room since, it is read again there.
 */
async function visitState(s: Pick<Services, 'calls' | 'organizations' | 'redis' | 'waitingRoom'>, orgId: string, visitorId: string, knownRoomId?: string): Promise<VisitState> {
  const [visitor, placeInKnownRoom] = await Promise.all([
    s.waitingRoom.getVisitor(orgId, visitorId),
    knownRoomId ? placeOf(s, { orgId, id: visitorId, roomId: knownRoomId }) : null,
  ]);
  if (!visitor || visitor.state === 'left' || visitor.state === 'ended') {
    if (visitor?.leftReason === 'denied') return { state: 'ended', reason: 'denied', ...(visitor.deniedMessage ? { message: visitor.deniedMessage } : {}) };
    if (visitor?.leftReason === 'cancelled') return { state: 'ended', reason: 'cancelled' };
    return visitor?.leftReason === 'connection_lost' ? { state: 'ended', reason: 'connection_lost' } : { state: 'ended' };
  }
  // The names as recently read, the call as it is now.
  const [display, call, place] = await Promise.all([
    s.organizations.roomDisplay(orgId, visitor.roomId),
    visitor.state === 'in_call' && visitor.callId ? s.calls.get(orgId, visitor.callId) : null,
    visitor.state !== 'waiting' ? null : visitor.roomId === knownRoomId ? placeInKnownRoom : placeOf(s, visitor),
  ]);
  const names = display ?? { roomName: '', professionalName: '' };
  if (visitor.state === 'checking_in') {
    return { state: 'checking_in', ...names, steps: remainingSteps(visitor, false) };
  }
  if (visitor.state === 'in_call') {
    if (call?.state === 'active') return { state: 'in_call', callId: call.id, ...names };
    return { state: 'ended' };
  }
  return {
    state: 'waiting',
    arrivedAt: visitor.arrivedAt,
    ...names,
    place,
    ...(visitor.appointmentAt ? { appointmentAt: visitor.appointmentAt } : {}),
  };
}
