import { notFound } from '../errors.ts';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';
import type { AnySocket, CallSocket, CallSockets } from './call-sockets.ts';

/**
 * Passes a sealed media key to one other participant of the same call. Both must have joined the
 * call's media (a waiting visitor never has); the blob itself is opaque here.
 */
export async function relayKey(sockets: CallSockets, socket: AnySocket, p: CallParticipant, req: { callId: string; to: string; blob: string }) {
  sockets.routerOf(socket, p, req.callId);
  const from = mediaParticipantId(p);
  const target = req.to === from ? undefined : sockets.joined.get(req.callId)?.get(req.to);
  if (!target) throw notFound('no such participant');
  (target.socket as CallSocket).emit('e2ee:key', { callId: req.callId, from, blob: req.blob });
  return {};
}

/** Passes a sealed chat message to everyone else in the call; nothing is kept. */
export async function relayChat(sockets: CallSockets, socket: AnySocket, p: CallParticipant, req: { callId: string; blob: string }) {
  sockets.routerOf(socket, p, req.callId);
  const from = mediaParticipantId(p);
  const sentAt = Date.now();
  for (const other of sockets.othersIn(req.callId, from)) other.emit('chat:message', { callId: req.callId, from, blob: req.blob, sentAt });
  return { sentAt };
}
