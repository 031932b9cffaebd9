import { MAX_CALL_PARTICIPANTS } from '../../protocol/index.ts';
import type { Services } from '../services.ts';
import type { Visitor } from '../waiting-room/waiting-room-store.ts';
import { activeCallOf } from './call-access.ts';
import type { CallParticipant } from './call-participant.ts';

/** Admits a waiting visitor into an ongoing call of this professional's (a group call). */
export async function admitIntoCall(s: Pick<Services, 'calls' | 'waitingRoom'>, p: CallParticipant, callId: string, visitor: Visitor): Promise<void> {
  await activeCallOf(s, p, callId);
  await s.waitingRoom.admitToCall(visitor, callId, MAX_CALL_PARTICIPANTS);
}
