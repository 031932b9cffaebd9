import { socketActorOf } from '../audit/audit-context.ts';
import type { Services } from '../services.ts';
import { socketRooms, type ProfessionalSocket } from '../socket/types.ts';
import type { CallParticipant } from './call-participant.ts';
import type { AnySocket, CallSockets } from './call-sockets.ts';
import type { Call } from './call-store.ts';

/**
 * Ends a call for everyone: stored first, then published (history, audit, the consultation's end for
 * its EHR, the payment subscribe), then its media closes and its sockets leave its room.
 * `by` null: nobody hung up, everyone's connection closed and stayed away (see AbandonedCalls).
 */
export async function endCall(
  sockets: CallSockets,
  s: Pick<Services, 'calls' | 'log' | 'config' | 'domainEvents' | 'media' | 'notify' | 'clock'>,
  call: Call,
  socket: AnySocket | null,
  by: CallParticipant | null,
  members?: string[],
): Promise<void> {
  const endedAt = s.clock.now();
  const told = await s.calls.end(call, endedAt, members);
  sockets.cancelJoins((a) => a.callId === call.id, 'ended');
  const ender = by?.role ?? 'abandoned';
  s.log.info({ callId: call.id, orgId: call.orgId, role: ender }, 'call ended');
  // A member ending it is the actor; a visitor is named by nobody in the audit log: the service notes it.
  const actor =
    by?.role === 'professional' && socket
      ? socketActorOf(s.config.trustProxy, (socket as ProfessionalSocket).data.session, socket.request)
      : { orgId: call.orgId, actor: 'system' as const };
  // Visitors sent back to wait are not among `told`: their visit goes on. Colleagues asked in are,
  // joined or not (their dashboard stops offering to join).
  await s.domainEvents.publish('call.ended', { call, endedAt, by: ender, actor, told });
  sockets.forget(call.id);
  s.media.closeCall(call.id);
  const room = socketRooms.call(call.orgId, call.id);
  s.notify.visitors.in(room).socketsLeave(room);
  s.notify.professionals.in(room).socketsLeave(room);
}
