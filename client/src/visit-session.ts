import { RECONNECTION } from './call-engine/reconnection.ts';
import { io, type Socket } from 'socket.io-client';
import { NAMESPACE, type VisitorClientEvents, type VisitorServerEvents } from '../../signaling/protocol/index.ts';

export type VisitorSocket = Socket<VisitorServerEvents, VisitorClientEvents>;

/**
 * The visitor session token lives in local storage (per room link) from check-in until the visit ends,
 * so a reload or a closed-and-reopened tab returns to the same place without typing anything again.
 */
const keyFor = (slug: string) => `consult.visit.${slug}`;

export const visitToken = {
  get: (slug: string) => localStorage.getItem(keyFor(slug)),
  set: (slug: string, token: string) => localStorage.setItem(keyFor(slug), token),
  clear: (slug: string) => localStorage.removeItem(keyFor(slug)),
};

export function connectVisitor(token: string): VisitorSocket {
  return io(NAMESPACE.visitor, { auth: { token }, transports: ['websocket', 'polling'], ...RECONNECTION });
}
