import type { PeerInfo } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import type { Services } from '../services.ts';
import type { Call } from './call-store.ts';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';

/**
 * The active call this participant is in. Unknown call, someone else's call and another organization's
 * call all look the same: not_found. A visitor sent back to the waiting room is no longer in the call,
 * though the call goes on.
 */
export async function activeCallOf(s: Pick<Services, 'calls' | 'waitingRoom'>, p: CallParticipant, callId: string): Promise<Call> {
  const [call, visitor] = await Promise.all([s.calls.get(p.orgId, callId), p.role === 'visitor' ? s.waitingRoom.getVisitor(p.orgId, p.id) : null]);
  // A visitor is in the call they were admitted to; a professional hosts it or was asked in.
  const mine =
    !!call &&
    (p.role === 'visitor' ? visitor?.callId === callId : call.professionalId === p.id || (await s.calls.isMember(p.orgId, callId, mediaParticipantId(p))));
  if (!call || !mine) throw notFound('no such call');
  // A visitor who left a call that goes on: for them it has ended.
  if (call.state !== 'active' || (visitor && visitor.state !== 'in_call')) throw new AppError('call_ended', 'the call has ended');
  return call;
}

/** What the others are told about the participant; for a visitor, also when they were admitted (not told). */
export async function peerInfo(
  s: Pick<Services, 'waitingRoom' | 'organizations'>,
  p: CallParticipant,
  publicKey: string,
): Promise<{ peer: PeerInfo; admittedAt?: number }> {
  if (p.role === 'visitor') {
    const visitor = await s.waitingRoom.getVisitor(p.orgId, p.id);
    return { peer: { id: mediaParticipantId(p), role: 'visitor', name: visitor?.name ?? '', publicKey }, admittedAt: visitor?.admittedAt };
  }
  const pro = await s.organizations.getProfessional(p.orgId, p.id);
  return { peer: { id: mediaParticipantId(p), role: 'professional', name: pro?.name ?? '', publicKey } };
}
