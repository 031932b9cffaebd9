import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { CallJoined, ConsumerInfo } from '../../protocol/index.ts';
import type { CallRouter, ConsumerDescription } from '../../../sfu/src/index.ts';
import type { Services } from '../services.ts';
import { socketRooms } from '../socket/types.ts';
import { iceServersFor } from '../turn/turn-credentials.ts';
import type { AbandonedCalls } from './abandoned-calls.ts';
import { activeCallOf, peerInfo } from './call-access.ts';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';
import type { AnySocket, CallSocket, CallSockets, JoinAttempt, Joined } from './call-sockets.ts';
import type { CallInvitations } from './invitations.ts';
import type { ReadyCalls } from './ready-call.ts';
import { mayShareScreen } from './screen-share.ts';
import { keepSessionAlive } from './session-keepalive.ts';

type JoinRequest = { callId: string; rtpCapabilities: types.RtpCapabilities; publicKey: string; dtlsParameters?: types.DtlsParameters };

/**
 * Joining a call's media: the right to join is checked against the call record in Redis, then the
 * participant gets its transports and what the others already send, and the others hear of it.
 */
export class CallJoining {
  /** A visitor's first join of their call in this process, with the time since their admission (metrics). */
  readonly joins = new EventEmitter<{ 'visitor-joined': [msSinceAdmission: number] }>();
  /** Admissions whose first join was measured here (`callId:participant`), the latest few thousand: a rejoin is not a first join. */
  private readonly measuredJoins = new Set<string>();
  private readonly wired = new WeakSet<CallRouter>();

  constructor(
    private readonly sockets: CallSockets,
    private readonly ready: ReadyCalls,
    private readonly abandoned: AbandonedCalls,
    private readonly invitations: CallInvitations,
    private readonly s: Pick<Services, 'calls' | 'waitingRoom' | 'organizations' | 'media' | 'sessions' | 'config' | 'log' | 'domainEvents'>,
  ) {}

  async join(socket: AnySocket, p: CallParticipant, req: JoinRequest): Promise<CallJoined> {
    const attempt: JoinAttempt = { callId: req.callId, participantId: mediaParticipantId(p), socket };
    this.sockets.joining.add(attempt);
    try {
      const joined = await this.joinMedia(attempt, p, req);
      // The admission's audit entries were held back so as not to compete with this join's reads: once
      // its answer is out (the next turn of the loop), they are written.
      if (p.role === 'visitor') setImmediate(() => this.s.domainEvents.release(req.callId));
      return joined;
    } finally {
      this.sockets.joining.delete(attempt);
    }
  }

  /**
   * Joins the call's media. The right to join is read from Redis before the awaits that follow, so a
   * send-back, a hang-up or the socket's own close may land in between: each of them cancels the attempt
   * (see CallSockets.cancelJoins), and the attempt checks after every await and undoes what it did.
   */
  private async joinMedia(attempt: JoinAttempt, p: CallParticipant, req: JoinRequest): Promise<CallJoined> {
    const { callId, rtpCapabilities } = req;
    const { socket, participantId } = attempt;
    const sockets = this.sockets;
    const ready = this.ready.isReadyFor(socket, p, callId);
    // Who may join is checked, and what the others are told about us is read, in one round trip.
    const [call, { peer, admittedAt }, screenShare] = await Promise.all([ready ? null : activeCallOf(this.s, p, callId), peerInfo(this.s, p, req.publicKey), mayShareScreen(this.s, p)]);
    sockets.stillJoining(attempt);
    const orgId = p.orgId;
    const router = await this.s.media.routerFor(callId).catch((error: unknown) => {
      // A router closed while it was being made: the call ended meanwhile, and the caller is told so.
      sockets.stillJoining(attempt);
      throw error;
    });
    sockets.stillJoining(attempt);
    this.wire(router);
    this.abandoned.rejoined(callId);
    const participants = sockets.joined.get(callId) ?? new Map<string, Joined>();
    sockets.joined.set(callId, participants);
    const previous = participants.get(participantId);
    if (previous) clearInterval(previous.keepAlive);
    const entry: Joined = { socket, peer, participant: p };
    // A call keeps the professional logged in; a ready call does not (an open dashboard must still time out).
    if (!ready) keepSessionAlive(this.s, callId, entry);
    participants.set(participantId, entry);
    let media: Awaited<ReturnType<CallRouter['join']>>;
    try {
      await socket.join(socketRooms.call(orgId, callId));
      sockets.stillJoining(attempt);
      media = await router.join(participantId, rtpCapabilities, req.dtlsParameters);
      sockets.stillJoining(attempt);
    } catch (error) {
      this.undoJoin(attempt, entry, !!previous, router);
      sockets.stillJoining(attempt);
      throw error;
    }
    this.s.log.info({ callId, role: p.role, orgId, ready }, 'participant joined call media');
    if (call && p.role === 'professional' && call.professionalId !== p.id) this.invitations.taken(orgId, p.id, callId);
    if (admittedAt !== undefined) this.measureFirstJoin(`${callId}:${participantId}`, Date.now() - admittedAt);
    // Before the answer: the others start sealing their keys for the newcomer while its transports connect.
    for (const other of sockets.othersIn(callId, participantId)) other.emit('call:peer-joined', { callId, peer });
    return {
      self: peer,
      encryption: this.s.config.UNENCRYPTED_CALLS_FOR_BENCHMARK ? 'off-for-benchmark' : 'end-to-end',
      sendTransport: { ...media.sendTransport, ...iceServersFor(this.s.config.turn) },
      recvTransport: { ...media.recvTransport, ...iceServersFor(this.s.config.turn) },
      consumers: media.consumers.map((c) => this.consumerInfo(callId, c)),
      peers: [...(sockets.joined.get(callId)?.values() ?? [])].filter((j) => j !== entry).map((j) => j.peer),
      screenShare,
    };
  }

  /**
   * Takes back a join that did not finish: its entry (unless a later join replaced it), its media in the
   * router, its socket in the call's room. A call left with nobody in it ends unless someone comes back,
   * as when the last participant's connection closes.
   */
  private undoJoin(attempt: JoinAttempt, entry: Joined, replacedOne: boolean, router: CallRouter): void {
    const { callId, participantId, socket } = attempt;
    const participants = this.sockets.joined.get(callId);
    const current = participants?.get(participantId);
    clearInterval(entry.keepAlive);
    if (current && current !== entry) {
      if (current.socket !== socket) void socket.leave(socketRooms.call(entry.participant.orgId, callId));
      return;
    }
    if (current === entry) {
      participants!.delete(participantId);
      // The others knew this participant from the join it replaced: they change their keys.
      if (replacedOne) for (const other of this.sockets.othersIn(callId, participantId)) other.emit('call:peer-left', { callId, peerId: participantId });
    }
    router.leave(participantId);
    void socket.leave(socketRooms.call(entry.participant.orgId, callId));
    if (participants && participants.size === 0) {
      this.sockets.joined.delete(callId);
      if (attempt.cancelled !== 'ended') this.abandoned.endUnlessRejoined(entry.participant.orgId, callId);
    }
  }

  private measureFirstJoin(admission: string, msSinceAdmission: number): void {
    if (this.measuredJoins.has(admission)) return;
    this.measuredJoins.add(admission);
    // Sets iterate in insertion order: the oldest goes first, so the set stays small without any timer.
    if (this.measuredJoins.size > 5000) this.measuredJoins.delete(this.measuredJoins.values().next().value!);
    this.joins.emit('visitor-joined', msSinceAdmission);
  }

  private consumerInfo(callId: string, c: ConsumerDescription): ConsumerInfo {
    const peer = this.sockets.joined.get(callId)?.get(c.producerParticipantId)?.peer ?? { id: c.producerParticipantId, role: 'visitor', name: '', publicKey: '' };
    return {
      consumerId: c.consumerId,
      producerId: c.producerId,
      kind: c.kind,
      source: c.source,
      rtpParameters: c.rtpParameters,
      producerPaused: c.producerPaused,
      peer,
    };
  }

  /** A router's consumers come and go as the others send: each is told to the socket it is for. */
  private wire(router: CallRouter): void {
    if (this.wired.has(router)) return;
    this.wired.add(router);
    const socketOf = (participantId: string) => this.sockets.joined.get(router.callId)?.get(participantId)?.socket as CallSocket | undefined;
    router.on('consumer-added', (participantId, consumer) => {
      socketOf(participantId)?.emit('call:consumer-added', this.consumerInfo(router.callId, consumer));
    });
    router.on('consumer-closed', (participantId, consumerId) => {
      socketOf(participantId)?.emit('call:consumer-closed', { consumerId });
    });
    router.on('consumer-paused', (participantId, consumerId, paused) => {
      socketOf(participantId)?.emit('call:consumer-paused', { consumerId, paused });
    });
  }
}
