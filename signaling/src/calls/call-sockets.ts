import type { Socket } from 'socket.io';
import type { CallServerEvents, PeerInfo } from '../../protocol/index.ts';
import type { CallRouter, MediaServer } from '../../../sfu/src/index.ts';
import { AppError, notFound } from '../errors.ts';
import { socketRooms, type ProfessionalSocket, type VisitorSocket } from '../socket/types.ts';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';

/** Both namespaces' sockets; for emitting, only the call events they share matter. */
export type AnySocket = VisitorSocket | ProfessionalSocket;
export type CallSocket = Socket<{}, CallServerEvents>;

/** A `call:join` under way; `cancelled` once its participant left or was sent back, its socket closed, or the call ended. */
export interface JoinAttempt {
  callId: string;
  participantId: string;
  socket: AnySocket;
  cancelled?: 'left' | 'ended';
}

export interface Joined {
  socket: AnySocket;
  peer: PeerInfo;
  participant: CallParticipant;
  keepAlive?: NodeJS.Timeout;
}

/**
 * The sockets of this process in calls' media, and the joins under way. The SFU objects live in this
 * process, so later media requests are accepted only from the very socket that joined; every part of the
 * calls' signaling asks here who that is.
 */
export class CallSockets {
  /** callId -> media participant id -> the socket that joined. */
  readonly joined = new Map<string, Map<string, Joined>>();
  readonly joining = new Set<JoinAttempt>();

  constructor(private readonly media: MediaServer) {}

  /** Throws, with what the participant would be told had they asked a moment later, once the attempt was cancelled. */
  stillJoining(attempt: JoinAttempt): void {
    if (attempt.socket.disconnected) attempt.cancelled ??= 'left';
    if (attempt.cancelled === 'ended') throw new AppError('call_ended', 'the call has ended');
    if (attempt.cancelled) throw notFound('no such call');
  }

  /** Cancels the joins under way that `which` picks (see CallJoining). */
  cancelJoins(which: (a: JoinAttempt) => boolean, reason: NonNullable<JoinAttempt['cancelled']>): void {
    for (const a of this.joining) if (which(a) && a.cancelled !== 'ended') a.cancelled = reason;
  }

  /** The sockets of everyone in the call's media but `exceptId`. */
  othersIn(callId: string, exceptId: string): CallSocket[] {
    return [...(this.joined.get(callId) ?? [])].filter(([id]) => id !== exceptId).map(([, j]) => j.socket as CallSocket);
  }

  routerOf(socket: AnySocket, p: CallParticipant, callId: string): CallRouter {
    const entry = this.joined.get(callId)?.get(mediaParticipantId(p));
    const router = this.media.existingRouter(callId);
    if (!entry || entry.socket !== socket || !router) throw notFound('join the call first');
    return router;
  }

  /** Someone's media leaves the call at once, and the others are told (they change their keys). */
  dropParticipant(callId: string, participantId: string): void {
    this.cancelJoins((a) => a.callId === callId && a.participantId === participantId, 'left');
    const entry = this.joined.get(callId)?.get(participantId);
    if (entry) {
      clearInterval(entry.keepAlive);
      this.joined.get(callId)!.delete(participantId);
      void entry.socket.leave(socketRooms.call(entry.participant.orgId, callId));
    }
    this.media.existingRouter(callId)?.leave(participantId);
    for (const other of this.othersIn(callId, participantId)) other.emit('call:peer-left', { callId, peerId: participantId });
  }

  forget(callId: string): void {
    for (const j of this.joined.get(callId)?.values() ?? []) clearInterval(j.keepAlive);
    this.joined.delete(callId);
  }

  /**
   * The connections (engine.io sockets) that carry a call's media signaling here, or a join under way:
   * while stopping, these stay until their call ends or the grace runs out; every other one is closed.
   */
  connectionsInCalls(): Set<unknown> {
    const found = new Set<unknown>();
    for (const participants of this.joined.values()) for (const j of participants.values()) found.add(j.socket.conn);
    for (const a of this.joining) found.add(a.socket.conn);
    return found;
  }
}
