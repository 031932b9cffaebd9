import type { Redis } from 'ioredis';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';
import type { AnySocket, CallSockets } from './call-sockets.ts';
import { recordCallAction } from './call-technical-data.ts';

/** Sound only on a connection that cannot carry video, or video again: kept as technical data. */
export async function receiveVideo(sockets: CallSockets, redis: Redis, socket: AnySocket, p: CallParticipant, callId: string, on: boolean) {
  const changed = await sockets.routerOf(socket, p, callId).setCameraVideoReceiving(mediaParticipantId(p), on);
  if (changed) await recordCallAction(redis, p, callId, on ? 'audio-only-off' : 'audio-only-on');
  return {};
}
