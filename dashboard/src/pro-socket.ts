import { io, type Socket } from 'socket.io-client';
import { RECONNECTION } from '../../client/src/call-engine/reconnection.ts';
import { NAMESPACE, type ProfessionalClientEvents, type ProfessionalServerEvents } from '../../signaling/protocol/index.ts';

export type ProfessionalSocket = Socket<ProfessionalServerEvents, ProfessionalClientEvents>;

/** Authenticated by the session cookie the browser sends with the WebSocket handshake. */
export function connectProfessional(): ProfessionalSocket {
  return io(NAMESPACE.professional, { transports: ['websocket', 'polling'], withCredentials: true, ...RECONNECTION });
}
