import type { Redis } from 'ioredis';
import type { NetworkRating } from '../../protocol/index.ts';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';
import type { AnySocket, CallSockets } from './call-sockets.ts';
import { recordTechnicalData } from './call-technical-data.ts';

/** A participant's own measure of its connection: passed to the others, kept as technical data. */
export async function reportQuality(
  sockets: CallSockets,
  redis: Redis,
  socket: AnySocket,
  p: CallParticipant,
  req: { callId: string; rating: NetworkRating; lossPercent: number; rttMs: number },
) {
  sockets.routerOf(socket, p, req.callId);
  const peerId = mediaParticipantId(p);
  for (const other of sockets.othersIn(req.callId, peerId)) other.emit('call:peer-quality', { callId: req.callId, peerId, rating: req.rating });
  await recordTechnicalData(redis, p.orgId, req.callId, {
    role: p.role,
    kind: 'quality',
    rating: req.rating,
    lossPercent: Math.round(req.lossPercent * 10) / 10,
    rttMs: Math.round(req.rttMs),
  });
  return {};
}
