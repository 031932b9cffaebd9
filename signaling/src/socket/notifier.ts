import type { WaitingVisitor } from '../../protocol/index.ts';
import { socketRooms, type ProfessionalNamespace, type VisitorNamespace } from './types.ts';

/**
 * Everything the server pushes to browsers outside an ack goes through here. With the Redis adapter these
 * reach sockets on every signaling process.
 */
export class Notifier {
  constructor(
    readonly visitors: VisitorNamespace,
    readonly professionals: ProfessionalNamespace,
  ) {}

  visitorArrived(orgId: string, visitor: WaitingVisitor): void {
    this.professionals.to(socketRooms.organization(orgId)).emit('queue:arrived', visitor);
  }

  visitorRemoved(orgId: string, visitorId: string, reason: 'left' | 'admitted'): void {
    this.professionals.to(socketRooms.organization(orgId)).emit('queue:removed', { visitorId, reason });
  }

  admitted(visitorId: string, callId: string): void {
    this.visitors.to(socketRooms.visitor(visitorId)).emit('visit:admitted', { callId });
  }

  callEnded(callId: string, visitorId: string): void {
    this.visitors.to([socketRooms.call(callId), socketRooms.visitor(visitorId)]).emit('call:ended', { callId });
    this.professionals.to(socketRooms.call(callId)).emit('call:ended', { callId });
  }

  mediaLost(callId: string): void {
    this.visitors.to(socketRooms.call(callId)).emit('call:media-lost', { callId });
    this.professionals.to(socketRooms.call(callId)).emit('call:media-lost', { callId });
  }

  /** Logout or expiry: tell the dashboard why, then close every socket of that session. */
  sessionEnded(sessionHash: string): void {
    const room = this.professionals.in(socketRooms.session(sessionHash));
    room.emit('session:ended');
    room.disconnectSockets(true);
  }
}
