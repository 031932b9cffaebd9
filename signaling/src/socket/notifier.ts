import type { Namespace } from 'socket.io';
import type { CancelledBy, QueuePlace, QueueRemovalReason, WaitingVisitor } from '../../protocol/index.ts';
import { socketRooms, type ProfessionalNamespace, type VisitorNamespace } from './types.ts';

/**
 * Everything the server pushes to browsers outside an ack goes through here. With the Redis adapter these
 * reach sockets on every signaling process.
 */
export class Notifier {
  /**
   * The embedded professional views' namespace (embedding/), once attached: its sockets join calls too,
   * so they hear a call's end and the loss of its media server like a dashboard does.
   */
  embeddedProfessionals?: Namespace;

  /** The server is closing: what pushes over several turns (a long line told its places) stops. */
  closed = false;

  constructor(
    readonly visitors: VisitorNamespace,
    readonly professionals: ProfessionalNamespace,
  ) {}

  /** Only to the dashboards that may see the room (need to know). */
  visitorArrived(orgId: string, visitor: WaitingVisitor): void {
    this.professionals.to(socketRooms.room(orgId, visitor.roomId)).emit('queue:arrived', visitor);
  }

  visitorRemoved(orgId: string, e: { visitorId: string; roomId: string; reason: QueueRemovalReason; by?: string }): void {
    this.professionals.to(socketRooms.room(orgId, e.roomId)).emit('queue:removed', e);
  }

  admitted(orgId: string, visitorId: string, callId: string): void {
    this.visitors.to(socketRooms.visitor(orgId, visitorId)).emit('visit:admitted', { callId });
  }

  /** To the embedded views of a consultation: its visitor as they wait now, or null (not waiting). */
  consultationVisitor(orgId: string, consultationId: string, visitor: WaitingVisitor | null): void {
    this.embeddedProfessionals?.to(socketRooms.embedConsultation(orgId, consultationId)).emit('consultation:visitor', visitor);
  }

  /** To the visitor turned away; the professional's message, if any, goes to them and nowhere else. */
  denied(orgId: string, visitorId: string, message?: string): void {
    this.visitors.to(socketRooms.visitor(orgId, visitorId)).emit('visit:denied', message ? { message } : {});
  }

  /** To a visitor taken out of the line because their consultation was cancelled: their page says so. */
  visitCancelled(orgId: string, visitorId: string): void {
    this.visitors.to(socketRooms.visitor(orgId, visitorId)).emit('visit:cancelled');
  }

  /** To the visitor moved to another room's line: where they wait now. */
  moved(orgId: string, visitorId: string, e: { roomName: string; professionalName: string; place: QueuePlace | null }): void {
    this.visitors.to(socketRooms.visitor(orgId, visitorId)).emit('visit:moved', e);
  }

  /** To the visitor sent back from the call to wait again. */
  sentBack(orgId: string, visitorId: string, e: { callId: string; place: QueuePlace | null }): void {
    this.visitors.to(socketRooms.visitor(orgId, visitorId)).emit('visit:sent-back', e);
  }

  /** To a waiting visitor: their place in line now. */
  place(orgId: string, visitorId: string, place: QueuePlace): void {
    this.visitors.to(socketRooms.visitor(orgId, visitorId)).emit('visit:place', place);
  }

  /**
   * To everyone in the call's media, and to the visitors whose visit ends with it (not those sent back to
   * wait) and the professionals in it or asked into it, wherever they are.
   */
  callEnded(orgId: string, callId: string, to: { visitorIds: string[]; professionalIds: string[] }): void {
    const call = socketRooms.call(orgId, callId);
    this.visitors.to([call, ...to.visitorIds.map((id) => socketRooms.visitor(orgId, id))]).emit('call:ended', { callId });
    this.professionals.to([call, ...to.professionalIds.map((id) => socketRooms.professional(orgId, id))]).emit('call:ended', { callId });
    this.embeddedProfessionals?.to(call).emit('call:ended', { callId });
  }

  /** To every dashboard of the colleague asked into a call (they list their pending invitations again too). */
  callInvited(orgId: string, professionalId: string, e: { callId: string; by: string }): void {
    this.professionals.to(socketRooms.professional(orgId, professionalId)).emit('call:invited', e);
  }

  /** A professional's pending invitations changed (joined, declined): each of their dashboards lists them again. */
  callInvitationsChanged(orgId: string, professionalId: string): void {
    this.professionals.to(socketRooms.professional(orgId, professionalId)).emit('call:invitations-changed');
  }

  mediaLost(orgId: string, callId: string): void {
    const call = socketRooms.call(orgId, callId);
    this.visitors.to(call).emit('call:media-lost', { callId });
    this.professionals.to(call).emit('call:media-lost', { callId });
    this.embeddedProfessionals?.to(call).emit('call:media-lost', { callId });
  }

  /** A consultation of the room was booked or cancelled: the dashboards that see the room list theirs again. */
  consultationChanged(orgId: string, roomId: string, e: { consultationId: string; cancelledBy?: CancelledBy }): void {
    this.professionals.to(socketRooms.room(orgId, roomId)).emit('consultations:changed', e);
  }

  visitorPresence(orgId: string, e: { visitorId: string; roomId: string; online: boolean }): void {
    this.professionals.to(socketRooms.room(orgId, e.roomId)).emit('queue:presence', e);
  }

  /**
   * Who may see a room changed: the dashboards of those added start hearing of it, those removed stop,
   * and both reload their list. `admins`: a new room, which every admin sees.
   */
  roomAccessChanged(orgId: string, roomId: string, change: { added?: string[]; removed?: string[]; admins?: boolean }): void {
    const added = (change.added ?? []).map((id) => socketRooms.professional(orgId, id));
    if (change.admins) added.push(socketRooms.admins(orgId));
    const removed = (change.removed ?? []).map((id) => socketRooms.professional(orgId, id));
    const room = socketRooms.room(orgId, roomId);
    if (added.length) this.professionals.in(added).socketsJoin(room);
    if (removed.length) this.professionals.in(removed).socketsLeave(room);
    if (added.length || removed.length) this.professionals.to([...added, ...removed]).emit('queue:rooms-changed');
  }

  /** A room was renamed or deleted: everyone who sees it reloads their list. */
  roomChanged(orgId: string, roomId: string, deleted = false): void {
    const room = socketRooms.room(orgId, roomId);
    this.professionals.to(room).emit('queue:rooms-changed');
    if (deleted) this.professionals.in(room).socketsLeave(room);
  }

  /** A member removed or their password reset: each of their sessions, embedded ones included, is told, then closed. */
  sessionsEnded(orgId: string, sessionHashes: string[]): void {
    for (const hash of sessionHashes) this.sessionEnded(orgId, hash);
    this.embeddedSessionsEnded(orgId, sessionHashes);
  }

  /** Logout or expiry: tell the dashboard why, then close every socket of that session. */
  sessionEnded(orgId: string, sessionHash: string): void {
    const room = this.professionals.in(socketRooms.session(orgId, sessionHash));
    room.emit('session:ended');
    room.disconnectSockets(true);
  }

  /** Embedded sessions ended (their consultation ended, their member's sessions ended, expiry): told, then closed. */
  embeddedSessionsEnded(orgId: string, sessionHashes: string[]): void {
    if (!this.embeddedProfessionals || !sessionHashes.length) return;
    const room = this.embeddedProfessionals.in(sessionHashes.map((hash) => socketRooms.embedSession(orgId, hash)));
    room.emit('session:ended');
    room.disconnectSockets(true);
  }
}
