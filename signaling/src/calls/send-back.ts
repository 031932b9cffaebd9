import { notFound } from '../errors.ts';
import type { Services } from '../services.ts';
import { socketRooms } from '../socket/types.ts';
import type { Visitor } from '../waiting-room/waiting-room-store.ts';
import { activeCallOf } from './call-access.ts';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';
import type { AnySocket, CallSockets } from './call-sockets.ts';

/**
 * The professional sends a visitor back to the waiting room: their media leaves the call at once (the
 * others change their keys, so nothing after this is readable with what the visitor held), and they
 * wait again, first in line. The call goes on. Answers the visitor as they now wait.
 */
export async function sendBack(
  sockets: CallSockets,
  s: Pick<Services, 'calls' | 'waitingRoom' | 'notify' | 'log'>,
  socket: AnySocket,
  p: CallParticipant,
  callId: string,
  which?: string,
): Promise<Visitor> {
  if (p.role !== 'professional') throw notFound('no such call');
  sockets.routerOf(socket, p, callId);
  const call = await activeCallOf(s, p, callId);
  const visitorId = which ?? call.visitorId;
  const visitor = await s.waitingRoom.getVisitor(call.orgId, visitorId);
  if (!visitor) throw notFound('the visitor is not in this call');
  if (!(await s.waitingRoom.sendBack(visitor, callId))) throw notFound('the visitor is not in this call');
  const participantId = mediaParticipantId({ role: 'visitor', orgId: call.orgId, id: visitorId });
  sockets.dropParticipant(callId, participantId);
  s.notify.visitors.in(socketRooms.visitor(call.orgId, visitorId)).socketsLeave(socketRooms.call(call.orgId, callId));
  s.log.info({ callId, orgId: call.orgId, visitorId }, 'visitor sent back to the waiting room');
  return { ...visitor, state: 'waiting', callId: undefined };
}
