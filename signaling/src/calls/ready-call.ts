import type { Services } from '../services.ts';
import type { ProfessionalSocket } from '../socket/types.ts';
import { newId } from '../ids.ts';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';
import type { AnySocket, CallSockets } from './call-sockets.ts';
import { keepSessionAlive } from './session-keepalive.ts';

/**
 * The professionals' ready calls: an id and a router for the next admission, joined by the dashboard
 * ahead of it. A ready call has no record, no visitor and nothing sent; it lives only as long as the socket.
 */
export class ReadyCalls {
  /** callId -> the dashboard socket that asked for it. */
  private readonly ready = new Map<string, { socket: AnySocket; participant: CallParticipant }>();

  constructor(
    private readonly sockets: CallSockets,
    private readonly s: Pick<Services, 'media' | 'sessions' | 'log'>,
  ) {}

  getReady(socket: ProfessionalSocket, p: CallParticipant): { callId: string } {
    for (const [callId, r] of this.ready) if (r.socket === socket) return { callId };
    const callId = newId();
    this.ready.set(callId, { socket, participant: p });
    return { callId };
  }

  isReadyFor(socket: AnySocket, p: CallParticipant, callId: string): boolean {
    const r = this.ready.get(callId);
    return !!r && r.socket === socket && mediaParticipantId(r.participant) === mediaParticipantId(p);
  }

  /** The ready call now has its record and a visitor: it is a call like any other from here on. */
  started(callId: string): void {
    const r = this.ready.get(callId);
    if (!r) return;
    this.ready.delete(callId);
    const entry = this.sockets.joined.get(callId)?.get(mediaParticipantId(r.participant));
    if (entry) keepSessionAlive(this.s, callId, entry);
  }

  giveUp(callId: string): void {
    this.sockets.cancelJoins((a) => a.callId === callId, 'ended');
    this.ready.delete(callId);
    this.sockets.forget(callId);
    this.s.media.closeCall(callId);
  }

  /** The dashboard's socket closed: its ready call goes with it. */
  socketGone(socket: AnySocket): void {
    for (const [callId, r] of this.ready) if (r.socket === socket) this.giveUp(callId);
  }

  organizationOf(callId: string): string | undefined {
    return this.ready.get(callId)?.participant.orgId;
  }

  close(): void {
    this.ready.clear();
  }
}
