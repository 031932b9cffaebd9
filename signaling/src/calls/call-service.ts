import type { NetworkRating } from '../../protocol/index.ts';
import type { Services } from '../services.ts';
import type { Visitor } from '../waiting-room/waiting-room-store.ts';
import { AbandonedCalls } from './abandoned-calls.ts';
import { receiveVideo } from './audio-only.ts';
import type { CallParticipant } from './call-participant.ts';
import { reportQuality } from './call-quality.ts';
import { CallSockets, type AnySocket } from './call-sockets.ts';
import { admitIntoCall } from './group-call.ts';
import { hangUp } from './hang-up.ts';
import { CallInvitations } from './invitations.ts';
import { CallJoining } from './joining.ts';
import { CallProducers } from './producers.ts';
import { ReadyCalls } from './ready-call.ts';
import { relayChat, relayKey } from './relays.ts';
import { sendBack } from './send-back.ts';
import { CallTransports } from './transports.ts';

/**
 * Media signaling of calls, wired from its parts (one concern each, beside this file). Authorization
 * happens at `call:join` against the call record in Redis; later media requests are accepted only from
 * the very socket that joined (CallSockets), since the SFU objects live in this process.
 */
export class CallService {
  readonly sockets: CallSockets;
  readonly ready: ReadyCalls;
  readonly abandoned: AbandonedCalls;
  readonly invitations: CallInvitations;
  readonly joining: CallJoining;
  readonly transports: CallTransports;
  readonly producers: CallProducers;

  constructor(private readonly s: Services) {
    this.sockets = new CallSockets(s.media);
    this.ready = new ReadyCalls(this.sockets, s);
    this.abandoned = new AbandonedCalls(this.sockets, s);
    this.invitations = new CallInvitations(this.sockets, s);
    this.joining = new CallJoining(this.sockets, this.ready, this.abandoned, this.invitations, s);
    this.transports = new CallTransports(this.sockets);
    this.producers = new CallProducers(this.sockets, s);
    s.media.on('call-media-lost', (callId) => {
      s.log.warn({ callId }, 'call lost its media server; participants rejoin');
      // The media server knows no organizations; the sockets that joined the call here do.
      const orgId = this.organizationOfCall(callId);
      if (orgId) s.notify.mediaLost(orgId, callId);
    });
  }

  /** A visitor's first join of their call in this process, with the time since their admission (metrics). */
  get joins() {
    return this.joining.joins;
  }

  hangUp(socket: AnySocket, p: CallParticipant, callId: string) {
    return hangUp(this.sockets, this.ready, this.s, socket, p, callId);
  }

  sendBack(socket: AnySocket, p: CallParticipant, callId: string, which?: string): Promise<Visitor> {
    return sendBack(this.sockets, this.s, socket, p, callId, which);
  }

  admitInto(p: CallParticipant, callId: string, visitor: Visitor): Promise<void> {
    return admitIntoCall(this.s, p, callId, visitor);
  }

  relayKey(socket: AnySocket, p: CallParticipant, req: { callId: string; to: string; blob: string }) {
    return relayKey(this.sockets, socket, p, req);
  }

  relayChat(socket: AnySocket, p: CallParticipant, req: { callId: string; blob: string }) {
    return relayChat(this.sockets, socket, p, req);
  }

  receiveVideo(socket: AnySocket, p: CallParticipant, callId: string, on: boolean) {
    return receiveVideo(this.sockets, this.s.redis, socket, p, callId, on);
  }

  quality(socket: AnySocket, p: CallParticipant, req: { callId: string; rating: NetworkRating; lossPercent: number; rttMs: number }) {
    return reportQuality(this.sockets, this.s.redis, socket, p, req);
  }

  /** A socket closed: its media leaves the call (the other side sees the tiles go); the call goes on. */
  socketGone(socket: AnySocket): void {
    this.sockets.cancelJoins((a) => a.socket === socket, 'left');
    this.ready.socketGone(socket);
    for (const [callId, participants] of this.sockets.joined) {
      for (const [participantId, j] of participants) {
        if (j.socket !== socket) continue;
        if (participants.size === 1) this.abandoned.endUnlessRejoined(j.participant.orgId, callId);
        clearInterval(j.keepAlive);
        participants.delete(participantId);
        this.s.media.existingRouter(callId)?.leave(participantId);
        // The others change their keys, so what follows is closed to the one who left.
        for (const other of this.sockets.othersIn(callId, participantId)) other.emit('call:peer-left', { callId, peerId: participantId });
      }
      if (participants.size === 0) this.sockets.joined.delete(callId);
    }
  }

  /** See CallSockets.connectionsInCalls. */
  connectionsInCalls(): Set<unknown> {
    return this.sockets.connectionsInCalls();
  }

  close(): void {
    this.sockets.cancelJoins(() => true, 'ended');
    this.abandoned.close();
    for (const callId of [...this.sockets.joined.keys()]) this.sockets.forget(callId);
    this.ready.close();
  }

  /** The organization of a call that sockets of this process joined or readied (none: no one here to tell). */
  private organizationOfCall(callId: string): string | undefined {
    for (const j of this.sockets.joined.get(callId)?.values() ?? []) return j.participant.orgId;
    return this.ready.organizationOf(callId);
  }
}
