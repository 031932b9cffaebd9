import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';
import { activeCallOf } from './call-access.ts';
import { endCall } from './call-ending.ts';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';
import type { AnySocket, CallSockets } from './call-sockets.ts';
import type { ReadyCalls } from './ready-call.ts';

/**
 * The host hanging up ends the call for everyone; anyone else leaves it (a colleague asked in declines
 * this way). With no one left to talk to, the call ends. Hanging up a ready call gives it up.
 */
export async function hangUp(
  sockets: CallSockets,
  ready: ReadyCalls,
  s: Pick<Services, 'calls' | 'waitingRoom' | 'log' | 'config' | 'domainEvents' | 'media' | 'notify' | 'clock'>,
  socket: AnySocket,
  p: CallParticipant,
  callId: string,
) {
  if (ready.isReadyFor(socket, p, callId)) {
    ready.giveUp(callId);
    return {};
  }
  // The members are read with the call (one round trip): the host's hang-up ends it for all of them.
  const [call, members] = await Promise.all([activeCallOf(s, p, callId), s.calls.members(p.orgId, callId)]);
  if (p.role === 'professional' && p.id === call.professionalId) {
    await endCall(sockets, s, call, socket, p, members);
    return {};
  }
  const participantId = mediaParticipantId(p);
  const left = await s.calls.leave(call, participantId);
  s.log.info({ callId, orgId: call.orgId, role: p.role }, 'participant left the call');
  // A visitor leaving a call that goes on: their visit is over.
  if (p.role === 'visitor') void s.domainEvents.publish('visitor.left', { orgId: call.orgId, visitorId: p.id, roomId: call.roomId, callId, reason: 'left' });
  sockets.dropParticipant(callId, participantId);
  // A colleague who declined (or left): none of their dashboards offers the call any more.
  if (p.role === 'professional') s.notify.callInvitationsChanged(call.orgId, p.id);
  if (left <= 1) await endCall(sockets, s, call, socket, p).catch((err) => {
    if (!(err instanceof AppError && err.code === 'call_ended')) throw err;
  });
  return {};
}
