import type { QueueRemovalReason, WaitingVisitor } from '../../protocol/index.ts';
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

  /** Only to the dashboards that may see the room (need to know). */
  visitorArrived(visitor: WaitingVisitor): void {
    this.professionals.to(socketRooms.room(visitor.roomId)).emit('queue:arrived', visitor);
  }

  visitorRemoved(e: { visitorId: string; roomId: string; reason: QueueRemovalReason; by?: string }): void {
    this.professionals.to(socketRooms.room(e.roomId)).emit('queue:removed', e);
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
