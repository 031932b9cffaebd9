import { EventEmitter } from 'node:events';
import { settleEndedVisits } from '../payments/settle-visits.ts';
import type { types } from 'mediasoup';
import type { Socket } from 'socket.io';
import { MAX_CALL_PARTICIPANTS, type CallInvitation, type CallJoined, type CallServerEvents, type ConsumerInfo, type NetworkRating, type PeerInfo } from '../../protocol/index.ts';
import type { Visitor } from '../waiting-room/waiting-room-store.ts';
import type { CallRouter, ConsumerDescription } from '../../../sfu/src/index.ts';
import type { MediaSource } from '../../../sfu/src/index.ts';
import { AppError, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { recordTechnicalData } from './call-technical-data.ts';
import { keys } from '../redis/keys.ts';
import { runScript } from '../redis/scripts.ts';
import type { Services } from '../services.ts';
import { socketRooms, type ProfessionalSocket, type VisitorSocket } from '../socket/types.ts';
import type { Call } from './call-store.ts';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';
import { socketActorOf } from '../audit/audit-context.ts';
import { iceServersFor } from '../turn/turn-credentials.ts';
import { retentionMsOf } from '../organizations/organization-store.ts';

/** Both namespaces' sockets; for emitting, only the call events they share matter. */
type AnySocket = VisitorSocket | ProfessionalSocket;
type CallSocket = Socket<{}, CallServerEvents>;

/** A `call:join` under way; `cancelled` once its participant left or was sent back, its socket closed, or the call ended. */
interface JoinAttempt {
  callId: string;
  participantId: string;
  socket: AnySocket;
  cancelled?: 'left' | 'ended';
}

interface Joined {
  socket: AnySocket;
  peer: PeerInfo;
  participant: CallParticipant;
  keepAlive?: NodeJS.Timeout;
}

/** An ongoing call keeps the professional's login alive: the session is renewed this often. */
const SESSION_KEEPALIVE_MS = 60_000;

/**
 * Media signaling of calls. Authorization happens at `call:join` against the call record in Redis;
 * later media requests are accepted only from the very socket that joined. The SFU objects live in this
 * process, so the sockets that joined are tracked here.
 */
export class CallService {
  /** A visitor's first join of their call in this process, with the time since their admission (metrics). */
  readonly joins = new EventEmitter<{ 'visitor-joined': [msSinceAdmission: number] }>();
  /** Admissions whose first join was measured here (`callId:participant`), the latest few thousand: a rejoin is not a first join. */
  private readonly measuredJoins = new Set<string>();
  /** callId -> media participant id -> the socket that joined. */
  private readonly joined = new Map<string, Map<string, Joined>>();
  private readonly wired = new WeakSet<CallRouter>();
  /** Ready calls (see getReady): callId -> the dashboard socket that asked for it. */
  private readonly ready = new Map<string, { socket: AnySocket; participant: CallParticipant }>();
  /** Calls whose last participant's connection closed: callId -> the timer that ends them unless someone rejoins. */
  private readonly abandoned = new Map<string, NodeJS.Timeout>();
  private readonly joining = new Set<JoinAttempt>();

  constructor(private readonly s: Services) {
    s.media.on('call-media-lost', (callId) => {
      s.log.warn({ callId }, 'call lost its media server; participants rejoin');
      // The media server knows no organizations; the sockets that joined the call here do.
      const orgId = this.organizationOfCall(callId);
      if (orgId) s.notify.mediaLost(orgId, callId);
    });
  }

  async join(socket: AnySocket, p: CallParticipant, req: { callId: string; rtpCapabilities: types.RtpCapabilities; publicKey: string }): Promise<CallJoined> {
    const attempt: JoinAttempt = { callId: req.callId, participantId: mediaParticipantId(p), socket };
    this.joining.add(attempt);
    try {
      return await this.joinMedia(attempt, p, req);
    } finally {
      this.joining.delete(attempt);
    }
  }

  /**
   * Joins the call's media. The right to join is read from Redis before the awaits that follow, so a
   * send-back, a hang-up or the socket's own close may land in between: each of them cancels the attempt
   * (see cancelJoins), and the attempt checks after every await and undoes what it did.
   */
  private async joinMedia(attempt: JoinAttempt, p: CallParticipant, req: { callId: string; rtpCapabilities: types.RtpCapabilities; publicKey: string }): Promise<CallJoined> {
    const { callId, rtpCapabilities } = req;
    const { socket, participantId } = attempt;
    const ready = this.isReadyFor(socket, p, callId);
    // Who may join is checked, and what the others are told about us is read, in one round trip.
    const [call, { peer, admittedAt }, screenShare] = await Promise.all([ready ? null : this.activeCallOf(p, callId), this.peerInfo(p, req.publicKey), this.mayShareScreen(p)]);
    this.stillJoining(attempt);
    const orgId = p.orgId;
    const router = await this.s.media.routerFor(callId).catch((error: unknown) => {
      // A router closed while it was being made: the call ended meanwhile, and the caller is told so.
      this.stillJoining(attempt);
      throw error;
    });
    this.stillJoining(attempt);
    this.wire(router);
    clearTimeout(this.abandoned.get(callId));
    this.abandoned.delete(callId);
    const participants = this.joined.get(callId) ?? new Map<string, Joined>();
    this.joined.set(callId, participants);
    const previous = participants.get(participantId);
    if (previous) clearInterval(previous.keepAlive);
    const entry: Joined = { socket, peer, participant: p };
    // A call keeps the professional logged in; a ready call does not (an open dashboard must still time out).
    if (!ready) this.keepAlive(callId, entry);
    participants.set(participantId, entry);
    let media: Awaited<ReturnType<CallRouter['join']>>;
    try {
      await socket.join(socketRooms.call(orgId, callId));
      this.stillJoining(attempt);
      media = await router.join(participantId, rtpCapabilities);
      this.stillJoining(attempt);
    } catch (error) {
      this.undoJoin(attempt, entry, !!previous, router);
      this.stillJoining(attempt);
      throw error;
    }
    this.s.log.info({ callId, role: p.role, orgId, ready }, 'participant joined call media');
    if (call && p.role === 'professional' && call.professionalId !== p.id) this.invitationTaken(orgId, p.id, callId);
    if (admittedAt !== undefined) this.measureFirstJoin(`${callId}:${participantId}`, Date.now() - admittedAt);
    // Before the answer: the others start sealing their keys for the newcomer while its transports connect.
    for (const other of this.othersIn(callId, participantId)) other.emit('call:peer-joined', { callId, peer });
    return {
      self: peer,
      encryption: this.s.config.UNENCRYPTED_CALLS_FOR_BENCHMARK ? 'off-for-benchmark' : 'end-to-end',
      sendTransport: { ...media.sendTransport, ...iceServersFor(this.s.config.turn) },
      recvTransport: { ...media.recvTransport, ...iceServersFor(this.s.config.turn) },
      consumers: media.consumers.map((c) => this.consumerInfo(callId, c)),
      peers: [...(this.joined.get(callId)?.values() ?? [])].filter((j) => j !== entry).map((j) => j.peer),
      screenShare,
    };
  }

  /** A colleague joined the call they were asked into: their other dashboards stop offering it. */
  private invitationTaken(orgId: string, professionalId: string, callId: string): void {
    this.s.calls.invitationTaken(orgId, professionalId, callId).then(
      (taken) => taken && this.s.notify.callInvitationsChanged(orgId, professionalId),
      (err: Error) => this.s.log.warn({ callId, err: err.message }, 'could not mark an invitation as taken'),
    );
  }

  /** Throws, with what the participant would be told had they asked a moment later, once the attempt was cancelled. */
  private stillJoining(attempt: JoinAttempt): void {
    if (attempt.socket.disconnected) attempt.cancelled ??= 'left';
    if (attempt.cancelled === 'ended') throw new AppError('call_ended', 'the call has ended');
    if (attempt.cancelled) throw notFound('no such call');
  }

  /**
   * Takes back a join that did not finish: its entry (unless a later join replaced it), its media in the
   * router, its socket in the call's room. A call left with nobody in it ends unless someone comes back,
   * as when the last participant's connection closes.
   */
  private undoJoin(attempt: JoinAttempt, entry: Joined, replacedOne: boolean, router: CallRouter): void {
    const { callId, participantId, socket } = attempt;
    const participants = this.joined.get(callId);
    const current = participants?.get(participantId);
    clearInterval(entry.keepAlive);
    if (current && current !== entry) {
      if (current.socket !== socket) void socket.leave(socketRooms.call(entry.participant.orgId, callId));
      return;
    }
    if (current === entry) {
      participants!.delete(participantId);
      // The others knew this participant from the join it replaced: they change their keys.
      if (replacedOne) for (const other of this.othersIn(callId, participantId)) other.emit('call:peer-left', { callId, peerId: participantId });
    }
    router.leave(participantId);
    void socket.leave(socketRooms.call(entry.participant.orgId, callId));
    if (participants && participants.size === 0) {
      this.joined.delete(callId);
      if (attempt.cancelled !== 'ended') this.endUnlessRejoined(entry.participant.orgId, callId);
    }
  }

  /** Cancels the joins under way that `which` picks (see joinMedia). */
  private cancelJoins(which: (a: JoinAttempt) => boolean, reason: NonNullable<JoinAttempt['cancelled']>): void {
    for (const a of this.joining) if (which(a) && a.cancelled !== 'ended') a.cancelled = reason;
  }

  async connectTransport(socket: AnySocket, p: CallParticipant, callId: string, transportId: string, dtls: types.DtlsParameters) {
    await this.routerOf(socket, p, callId).connectTransport(mediaParticipantId(p), transportId, dtls);
    return {};
  }

  async produce(
    socket: AnySocket,
    p: CallParticipant,
    req: { callId: string; transportId: string; kind: types.MediaKind; source: MediaSource; rtpParameters: types.RtpParameters },
  ) {
    const router = this.routerOf(socket, p, req.callId);
    if (req.source === 'screen' && !(await this.mayShareScreen(p))) throw new AppError('not_allowed', 'this organization does not let visitors share their screen');
    const producerId = await router.produce(
      mediaParticipantId(p),
      req.transportId,
      req.kind,
      req.rtpParameters,
      req.source,
    );
    if (req.source === 'screen') await this.recordAction(p, req.callId, 'screen-share-on');
    return { producerId };
  }

  /** Sound only on a connection that cannot carry video, or video again: kept as technical data. */
  async receiveVideo(socket: AnySocket, p: CallParticipant, callId: string, on: boolean) {
    const changed = await this.routerOf(socket, p, callId).setCameraVideoReceiving(mediaParticipantId(p), on);
    if (changed) await this.recordAction(p, callId, on ? 'audio-only-off' : 'audio-only-on');
    return {};
  }

  async closeProducer(socket: AnySocket, p: CallParticipant, callId: string, producerId: string) {
    const source = this.routerOf(socket, p, callId).closeProducer(mediaParticipantId(p), producerId);
    if (source === 'screen') await this.recordAction(p, callId, 'screen-share-off');
    return {};
  }

  private async mayShareScreen(p: CallParticipant): Promise<boolean> {
    return p.role === 'professional' || !!(await this.s.organizations.getOrganization(p.orgId))?.visitorScreenShare;
  }

  private recordAction(p: CallParticipant, callId: string, action: string): Promise<void> {
    return recordTechnicalData(this.s, p.orgId, callId, { role: p.role, kind: 'action', action }).catch(() => undefined);
  }

  async resumeConsumer(socket: AnySocket, p: CallParticipant, callId: string, consumerId: string) {
    await this.routerOf(socket, p, callId).resumeConsumer(mediaParticipantId(p), consumerId);
    return {};
  }

  async setProducerPaused(socket: AnySocket, p: CallParticipant, callId: string, producerId: string, paused: boolean) {
    const router = this.routerOf(socket, p, callId);
    await router.setProducerPaused(mediaParticipantId(p), producerId, paused);
    const source = router.sourceOf(mediaParticipantId(p), producerId);
    const action = source === 'microphone' ? (paused ? 'mute' : 'unmute') : source === 'screen' ? (paused ? 'screen-share-paused' : 'screen-share-resumed') : paused ? 'camera-off' : 'camera-on';
    await this.recordAction(p, callId, action);
    return {};
  }

  /** A participant's own measure of its connection: passed to the others, kept as technical data. */
  async quality(socket: AnySocket, p: CallParticipant, req: { callId: string; rating: NetworkRating; lossPercent: number; rttMs: number }) {
    this.routerOf(socket, p, req.callId);
    const peerId = mediaParticipantId(p);
    for (const other of this.othersIn(req.callId, peerId)) other.emit('call:peer-quality', { callId: req.callId, peerId, rating: req.rating });
    await recordTechnicalData(this.s, p.orgId, req.callId, {
      role: p.role,
      kind: 'quality',
      rating: req.rating,
      lossPercent: Math.round(req.lossPercent * 10) / 10,
      rttMs: Math.round(req.rttMs),
    });
    return {};
  }

  /**
   * Passes a sealed media key to one other participant of the same call. Both must have joined the
   * call's media (a waiting visitor never has); the blob itself is opaque here.
   */
  async relayKey(socket: AnySocket, p: CallParticipant, req: { callId: string; to: string; blob: string }) {
    this.routerOf(socket, p, req.callId);
    const from = mediaParticipantId(p);
    const target = req.to === from ? undefined : this.joined.get(req.callId)?.get(req.to);
    if (!target) throw notFound('no such participant');
    (target.socket as CallSocket).emit('e2ee:key', { callId: req.callId, from, blob: req.blob });
    return {};
  }

  /** Passes a sealed chat message to everyone else in the call; nothing is kept. */
  async relayChat(socket: AnySocket, p: CallParticipant, req: { callId: string; blob: string }) {
    this.routerOf(socket, p, req.callId);
    const from = mediaParticipantId(p);
    const sentAt = Date.now();
    for (const other of this.othersIn(req.callId, from)) other.emit('chat:message', { callId: req.callId, from, blob: req.blob, sentAt });
    return { sentAt };
  }

  /**
   * The professional's ready call: an id and a router for the next admission, joined by the dashboard
   * ahead of it. It has no record, no visitor and nothing sent; it lives only as long as the socket.
   */
  getReady(socket: ProfessionalSocket, p: CallParticipant): { callId: string } {
    for (const [callId, r] of this.ready) if (r.socket === socket) return { callId };
    const callId = newId();
    this.ready.set(callId, { socket, participant: p });
    return { callId };
  }

  /** The ready call now has its record and a visitor: it is a call like any other from here on. */
  readyCallStarted(callId: string): void {
    const r = this.ready.get(callId);
    if (!r) return;
    this.ready.delete(callId);
    const entry = this.joined.get(callId)?.get(mediaParticipantId(r.participant));
    if (entry) this.keepAlive(callId, entry);
  }

  /**
   * The host hanging up ends the call for everyone; anyone else leaves it (a colleague asked in declines
   * this way). With no one left to talk to, the call ends. Hanging up a ready call gives it up.
   */
  async hangUp(socket: AnySocket, p: CallParticipant, callId: string) {
    if (this.isReadyFor(socket, p, callId)) {
      this.giveUpReady(callId);
      return {};
    }
    // The members are read with the call (one round trip): the host's hang-up ends it for all of them.
    const [call, members] = await Promise.all([this.activeCallOf(p, callId), this.s.calls.members(p.orgId, callId)]);
    if (p.role === 'professional' && p.id === call.professionalId) {
      await this.endCall(call, socket, p, members);
      return {};
    }
    const participantId = mediaParticipantId(p);
    const left = await this.s.calls.leave(call, participantId);
    this.s.log.info({ callId, orgId: call.orgId, role: p.role }, 'participant left the call');
    // A visitor leaving a call that goes on: their visit is over.
    if (p.role === 'visitor') {
      settleEndedVisits(this.s, call.orgId, [p.id]);
      void this.s.events.emit(call.orgId, 'visitor.left', { visitorId: p.id, roomId: call.roomId, callId, reason: 'left' });
    }
    this.dropParticipant(callId, participantId);
    // A colleague who declined (or left): none of their dashboards offers the call any more.
    if (p.role === 'professional') this.s.notify.callInvitationsChanged(call.orgId, p.id);
    if (left <= 1) await this.endCall(call, socket, p).catch((err) => {
      if (!(err instanceof AppError && err.code === 'call_ended')) throw err;
    });
    return {};
  }

  /**
   * Asks a colleague into the call (a second opinion, a handover). Their dashboard offers to join; they
   * see the call once they do, and everyone in it sees them arrive before any of their media.
   */
  async invite(p: CallParticipant, callId: string, professionalId: string): Promise<void> {
    if (p.role !== 'professional') throw notFound('no such call');
    const call = await this.activeCallOf(p, callId);
    if (professionalId === p.id) throw new AppError('bad_request', 'professionalId: you are in the call already');
    const [colleague, inviter] = await Promise.all([
      this.s.organizations.getProfessional(p.orgId, professionalId),
      this.s.organizations.getProfessional(p.orgId, p.id),
    ]);
    if (!colleague) throw notFound('no such colleague');
    await this.s.calls.invite(call, professionalId, p.id, MAX_CALL_PARTICIPANTS);
    this.s.log.info({ callId, orgId: p.orgId, professionalId: p.id, invited: professionalId }, 'colleague asked into a call');
    this.s.notify.callInvited(p.orgId, professionalId, { callId, by: inviter?.name ?? '' });
  }

  /**
   * Takes back an ask into this call the colleague has not answered. A join of theirs under way here
   * stops (the ask was gone when it finishes); their dashboards stop offering the call.
   */
  async withdrawInvitation(p: CallParticipant, callId: string, professionalId: string): Promise<void> {
    if (p.role !== 'professional') throw notFound('no such call');
    const call = await this.activeCallOf(p, callId);
    await this.s.calls.withdrawInvitation(call, professionalId);
    const asked = mediaParticipantId({ role: 'professional', orgId: p.orgId, id: professionalId });
    if (this.joined.get(callId)?.has(asked) || [...this.joining].some((a) => a.callId === callId && a.participantId === asked)) this.dropParticipant(callId, asked);
    this.s.log.info({ callId, orgId: p.orgId, professionalId: p.id, withdrawn: professionalId }, 'ask into a call withdrawn');
    this.s.notify.callInvitationsChanged(p.orgId, professionalId);
  }

  /**
   * The calls this professional is asked into and has not joined or declined: stored, so a dashboard that
   * was connecting, away or reconnecting when asked offers them all the same. Only the call's id and who
   * asked: nothing of the call itself until they join it.
   */
  async pendingInvitations(p: CallParticipant): Promise<CallInvitation[]> {
    if (p.role !== 'professional') return [];
    const org = await this.s.organizations.getOrganization(p.orgId);
    const pending = await this.s.calls.pendingInvitations(p.orgId, p.id, retentionMsOf(org));
    const inviters = [...new Set(pending.map((i) => i.invitedBy).filter((id) => id !== ''))];
    const names = new Map(await Promise.all(inviters.map(async (id) => [id, (await this.s.organizations.getProfessional(p.orgId, id))?.name ?? ''] as const)));
    return pending.map(({ callId, invitedBy }) => ({ callId, by: names.get(invitedBy) ?? '' }));
  }

  /** Admits a waiting visitor into an ongoing call of this professional's (a group call). */
  async admitInto(p: CallParticipant, callId: string, visitor: Visitor): Promise<void> {
    await this.activeCallOf(p, callId);
    await this.s.waitingRoom.admitToCall(visitor, callId, MAX_CALL_PARTICIPANTS);
  }

  /** `by` null: nobody hung up, everyone's connection closed and stayed away (see socketGone). */
  private async endCall(call: Call, socket: AnySocket | null, by: CallParticipant | null, members?: string[]): Promise<void> {
    const endedAt = Date.now();
    const told = await this.s.calls.end(call, endedAt, members);
    this.cancelJoins((a) => a.callId === call.id, 'ended');
    const ender = by?.role ?? 'abandoned';
    this.s.log.info({ callId: call.id, orgId: call.orgId, role: ender }, 'call ended');
    // A member ending it is the actor; a visitor is named by nobody in the audit log: the service notes it.
    const actor =
      by?.role === 'professional' && socket
        ? socketActorOf(this.s.config.trustProxy, (socket as ProfessionalSocket).data.session, socket.request)
        : { orgId: call.orgId, actor: 'system' };
    await this.s.audit.record({ ...actor, action: 'call_end', targetId: call.id, detail: { by: ender, seconds: Math.round((endedAt - call.startedAt) / 1000) } });
    // Visitors sent back to wait are not told the call ended: their visit goes on. Colleagues asked in
    // are, joined or not (their dashboard stops offering to join).
    this.s.notify.callEnded(call.orgId, call.id, told);
    settleEndedVisits(this.s, call.orgId, told.visitorIds);
    // Each consultation in the call hears its end (a visitor who left first: the call's own visitor's).
    const durationSeconds = Math.max(0, Math.round((endedAt - call.startedAt) / 1000));
    for (const visitorId of told.visitorIds.length ? told.visitorIds : [call.visitorId]) {
      void this.s.events.emit(call.orgId, 'call.ended', { visitorId, roomId: call.roomId, callId: call.id, durationSeconds });
    }
    this.forget(call.id);
    this.s.media.closeCall(call.id);
    const room = socketRooms.call(call.orgId, call.id);
    this.s.notify.visitors.in(room).socketsLeave(room);
    this.s.notify.professionals.in(room).socketsLeave(room);
  }

  /** The organization of a call that sockets of this process joined or readied (none: no one here to tell). */
  private organizationOfCall(callId: string): string | undefined {
    for (const j of this.joined.get(callId)?.values() ?? []) return j.participant.orgId;
    return this.ready.get(callId)?.participant.orgId;
  }

  /** Someone's media leaves the call at once, and the others are told (they change their keys). */
  private dropParticipant(callId: string, participantId: string): void {
    this.cancelJoins((a) => a.callId === callId && a.participantId === participantId, 'left');
    const entry = this.joined.get(callId)?.get(participantId);
    if (entry) {
      clearInterval(entry.keepAlive);
      this.joined.get(callId)!.delete(participantId);
      void entry.socket.leave(socketRooms.call(entry.participant.orgId, callId));
    }
    this.s.media.existingRouter(callId)?.leave(participantId);
    for (const other of this.othersIn(callId, participantId)) other.emit('call:peer-left', { callId, peerId: participantId });
  }

  /**
   * The professional sends a visitor back to the waiting room: their media leaves the call at once (the
   * others change their keys, so nothing after this is readable with what the visitor held), and they
   * wait again, first in line. The call goes on. Answers the visitor as they now wait.
   */
  async sendBack(socket: AnySocket, p: CallParticipant, callId: string, which?: string): Promise<Visitor> {
    if (p.role !== 'professional') throw notFound('no such call');
    this.routerOf(socket, p, callId);
    const call = await this.activeCallOf(p, callId);
    const visitorId = which ?? call.visitorId;
    const visitor = await this.s.waitingRoom.getVisitor(call.orgId, visitorId);
    if (!visitor) throw notFound('the visitor is not in this call');
    const result = await runScript(
      this.s.redis,
      'sendBack',
      [keys.organization(call.orgId), keys.visitor(call.orgId, visitorId), keys.waiting(call.orgId, visitor.roomId), keys.callMembers(call.orgId, callId)],
      [visitorId, callId, Date.now()],
    );
    if (result !== 'ok') throw notFound('the visitor is not in this call');
    const participantId = mediaParticipantId({ role: 'visitor', orgId: call.orgId, id: visitorId });
    this.dropParticipant(callId, participantId);
    this.s.notify.visitors.in(socketRooms.visitor(call.orgId, visitorId)).socketsLeave(socketRooms.call(call.orgId, callId));
    this.s.log.info({ callId, orgId: call.orgId, visitorId }, 'visitor sent back to the waiting room');
    return { ...visitor, state: 'waiting', callId: undefined };
  }

  /** A socket closed: its media leaves the call (the other side sees the tiles go); the call goes on. */
  socketGone(socket: AnySocket): void {
    this.cancelJoins((a) => a.socket === socket, 'left');
    for (const [callId, r] of this.ready) if (r.socket === socket) this.giveUpReady(callId);
    for (const [callId, participants] of this.joined) {
      for (const [participantId, j] of participants) {
        if (j.socket !== socket) continue;
        if (participants.size === 1) this.endUnlessRejoined(j.participant.orgId, callId);
        clearInterval(j.keepAlive);
        participants.delete(participantId);
        this.s.media.existingRouter(callId)?.leave(participantId);
        // The others change their keys, so what follows is closed to the one who left.
        for (const other of this.othersIn(callId, participantId)) other.emit('call:peer-left', { callId, peerId: participantId });
      }
      if (participants.size === 0) this.joined.delete(callId);
    }
  }

  /**
   * Everyone's connection closed (tabs shut, both networks gone): a reload or a reconnection rejoins
   * within the grace period; past it the call ends as a hang-up would (history, audit, the consultation's
   * end for its EHR, the payment), so an abandoned call is not "in call" for ever.
   */
  private endUnlessRejoined(orgId: string, callId: string): void {
    clearTimeout(this.abandoned.get(callId));
    const timer = setTimeout(() => {
      this.abandoned.delete(callId);
      if (this.joined.get(callId)?.size) return;
      void (async () => {
        const call = await this.s.calls.get(orgId, callId);
        if (this.joined.get(callId)?.size) return;
        if (call?.state !== 'active') {
          // Ended meanwhile by someone else, or gone with its retention: its media must not outlive it.
          this.cancelJoins((a) => a.callId === callId, 'ended');
          this.s.media.closeCall(callId);
          return;
        }
        this.s.log.info({ callId, orgId }, 'nobody came back to the call: ending it');
        await this.endCall(call, null, null);
      })().catch((err: Error) => {
        if (!(err instanceof AppError && err.code === 'call_ended')) this.s.log.warn({ callId, err: err.message }, 'could not end an abandoned call');
      });
    }, this.s.config.CALL_ABANDONED_SECONDS * 1000);
    timer.unref();
    this.abandoned.set(callId, timer);
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

  close(): void {
    this.cancelJoins(() => true, 'ended');
    for (const timer of this.abandoned.values()) clearTimeout(timer);
    this.abandoned.clear();
    for (const callId of [...this.joined.keys()]) this.forget(callId);
    this.ready.clear();
  }

  isReadyFor(socket: AnySocket, p: CallParticipant, callId: string): boolean {
    const r = this.ready.get(callId);
    return !!r && r.socket === socket && mediaParticipantId(r.participant) === mediaParticipantId(p);
  }

  private giveUpReady(callId: string): void {
    this.cancelJoins((a) => a.callId === callId, 'ended');
    this.ready.delete(callId);
    this.forget(callId);
    this.s.media.closeCall(callId);
  }

  private keepAlive(callId: string, entry: Joined): void {
    if (entry.participant.role !== 'professional' || entry.keepAlive) return;
    const session = (entry.socket as ProfessionalSocket).data.session;
    entry.keepAlive = setInterval(() => {
      this.s.sessions.touch(session).catch((err: Error) => this.s.log.warn({ callId, err: err.message }, 'could not renew the session'));
    }, SESSION_KEEPALIVE_MS);
  }

  private measureFirstJoin(admission: string, msSinceAdmission: number): void {
    if (this.measuredJoins.has(admission)) return;
    this.measuredJoins.add(admission);
    // Sets iterate in insertion order: the oldest goes first, so the set stays small without any timer.
    if (this.measuredJoins.size > 5000) this.measuredJoins.delete(this.measuredJoins.values().next().value!);
    this.joins.emit('visitor-joined', msSinceAdmission);
  }

  private forget(callId: string): void {
    for (const j of this.joined.get(callId)?.values() ?? []) clearInterval(j.keepAlive);
    this.joined.delete(callId);
  }

  /**
   * Unknown call, someone else's call and another organization's call all look the same: not_found. A
   * visitor sent back to the waiting room is no longer in the call, though the call goes on.
   */
  private async activeCallOf(p: CallParticipant, callId: string): Promise<Call> {
    const [call, visitor] = await Promise.all([
      this.s.calls.get(p.orgId, callId),
      p.role === 'visitor' ? this.s.waitingRoom.getVisitor(p.orgId, p.id) : null,
    ]);
    // A visitor is in the call they were admitted to; a professional hosts it or was asked in.
    const mine =
      !!call &&
      (p.role === 'visitor'
        ? visitor?.callId === callId
        : call.professionalId === p.id || (await this.s.calls.isMember(p.orgId, callId, mediaParticipantId(p))));
    if (!call || !mine) throw notFound('no such call');
    // A visitor who left a call that goes on: for them it has ended.
    if (call.state !== 'active' || (visitor && visitor.state !== 'in_call')) throw new AppError('call_ended', 'the call has ended');
    return call;
  }

  /** The sockets of everyone in the call's media but `exceptId`. */
  private othersIn(callId: string, exceptId: string): CallSocket[] {
    return [...(this.joined.get(callId) ?? [])].filter(([id]) => id !== exceptId).map(([, j]) => j.socket as CallSocket);
  }

  private routerOf(socket: AnySocket, p: CallParticipant, callId: string): CallRouter {
    const entry = this.joined.get(callId)?.get(mediaParticipantId(p));
    const router = this.s.media.existingRouter(callId);
    if (!entry || entry.socket !== socket || !router) throw notFound('join the call first');
    return router;
  }

  /** What the others are told about the participant; for a visitor, also when they were admitted (not told). */
  private async peerInfo(p: CallParticipant, publicKey: string): Promise<{ peer: PeerInfo; admittedAt?: number }> {
    if (p.role === 'visitor') {
      const visitor = await this.s.waitingRoom.getVisitor(p.orgId, p.id);
      return { peer: { id: mediaParticipantId(p), role: 'visitor', name: visitor?.name ?? '', publicKey }, admittedAt: visitor?.admittedAt };
    }
    const pro = await this.s.organizations.getProfessional(p.orgId, p.id);
    return { peer: { id: mediaParticipantId(p), role: 'professional', name: pro?.name ?? '', publicKey } };
  }

  private consumerInfo(callId: string, c: ConsumerDescription): ConsumerInfo {
    const peer = this.joined.get(callId)?.get(c.producerParticipantId)?.peer ?? { id: c.producerParticipantId, role: 'visitor', name: '', publicKey: '' };
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

  private wire(router: CallRouter): void {
    if (this.wired.has(router)) return;
    this.wired.add(router);
    const socketOf = (participantId: string) => this.joined.get(router.callId)?.get(participantId)?.socket as CallSocket | undefined;
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
