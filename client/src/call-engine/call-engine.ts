import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { Socket } from 'socket.io-client';
import type {
  CallClientEvents,
  CallEncryptionMode,
  CallServerEvents,
  ConsumerInfo,
  NetworkRating,
  TransportInfo,
} from '../../../signaling/protocol/index.ts';
import type { LocalMedia } from './local-media.ts';
import { request, RequestError } from './request.ts';
import { canEncryptFrames, FramePipe, prepareFramePipe } from './frame-pipe.ts';
import { CallEncryption, prepareKeyPair } from './e2ee/call-encryption.ts';
import { MAX_CHAT_TEXT } from './e2ee/chat-crypto.ts';
import { mark } from './marks.ts';
import { NetworkQuality } from './network-quality.ts';
import { AudioOnlyPolicy } from './audio-only.ts';
import { RemoteParticipants, type RemoteParticipant } from './remote-participants.ts';
import { consumeSealed, produceSealed } from './sealed-media.ts';

export type { RemoteParticipant };

/** How often a call measures its connection (and tells the others). */
const QUALITY_INTERVAL_MS = 5_000;

export type CallStatus = 'connecting' | 'connected' | 'reconnecting' | 'ended' | 'failed';

export interface ChatMessage {
  /** The sender's peer id; null for this browser's own messages. */
  from: string | null;
  /** Null when the message could not be decrypted. */
  text: string | null;
  sentAt: number;
}

export interface CallEncryptionState {
  /**
   * Until the server has answered the join, not known. 'refused': the server offered the call
   * unencrypted and this build does not send in clear (only the benchmark build does).
   */
  mode: CallEncryptionMode | 'pending' | 'refused';
  safetyCode?: string;
  keyIndex?: number;
  /** Remote participants whose media this browser cannot decrypt. */
  undecryptable: string[];
  /** Remote participants whose key changed during the call: the safety code must be compared again. */
  keyChanged: string[];
}

export interface CallQuality {
  /** This browser's connection, as last measured; null until measured. */
  self: NetworkRating | null;
  /** Each other participant's, as their browser reports it. */
  peers: Record<string, NetworkRating>;
}

export interface CallSnapshot {
  status: CallStatus;
  quality: CallQuality;
  remotes: RemoteParticipant[];
  microphoneMuted: boolean;
  cameraOff: boolean;
  encryption: CallEncryptionState;
  chat: ChatMessage[];
  /** Whether this participant may share their screen (the organization decides for visitors). */
  screenShareAllowed: boolean;
  sharingScreen: boolean;
  /** This connection cannot carry video just now: sound only, both ways (camera video; screens go on). */
  audioOnly: boolean;
  error?: string;
}

/** Thrown by start() in a browser that cannot encrypt frames: it may not join (no call goes out in clear). */
export class EncryptionUnsupportedError extends Error {
  constructor() {
    super('this browser cannot encrypt calls');
  }
}

export type CallSocket = Socket<CallServerEvents, CallClientEvents>;

/** The server refused the join itself: the call has ended, or this participant is no longer in it. */
class JoinRefused extends Error {}

let devicePromise: Promise<Device> | undefined;

/**
 * Loads the SFU's codec capabilities into a mediasoup Device and makes the next call's key pair. Call it
 * early (while the visitor waits): having both ready takes a round trip and a key generation off the
 * admission.
 */
export function preloadDevice(): Promise<Device> {
  prepareFramePipe();
  prepareKeyPair();
  devicePromise ??= (async () => {
    const res = await fetch('/api/media/capabilities');
    if (!res.ok) throw new Error(`capabilities: HTTP ${res.status}`);
    const device = new Device();
    await device.load({ routerRtpCapabilities: await res.json() });
    return device;
  })();
  devicePromise.catch(() => (devicePromise = undefined));
  return devicePromise;
}

// Frame encryption (E2EE) needs encoded-frame access; it silently does nothing unless the peer
// connection was created with this flag (see shared/notes/e2ee-in-chromium.md), so every transport has it.
const TRANSPORT_SETTINGS = { encodedInsertableStreams: true } as unknown as Partial<RTCConfiguration>;
/** Only on a server started for the encryption benchmark (production refuses it): plain transports. */
const UNENCRYPTED_SETTINGS = {} as Partial<RTCConfiguration>;

/**
 * Whether this build may take part in a call unencrypted: only the benchmark build
 * (`vite build --mode benchmark`, into dist-benchmark) may. Decided when the app is built, not by what the
 * server answers: a server (or whoever stands in for it) saying "off" must not make anyone send in clear.
 */
const UNENCRYPTED_CALLS_ALLOWED = import.meta.env?.MODE === 'benchmark';

/** A shared screen is mostly still: a few frames a second keep text sharp at a fraction of the bits and CPU. */
const SCREEN_CONSTRAINTS: MediaStreamConstraints = { video: { frameRate: { max: 5 }, width: { max: 1920 }, height: { max: 1080 } }, audio: false };

/**
 * One participant's side of a call, shared by the visitor app and the dashboard: joins the call's SFU
 * router, sends the local tracks, receives everyone else's, and follows mute/camera state both ways.
 */
export class CallEngine {
  private sendTransport?: types.Transport;
  private recvTransport?: types.Transport;
  private readonly producers = new Map<'audio' | 'video', types.Producer>();
  private screen?: { producer?: types.Producer; track: MediaStreamTrack };
  private screenShareAllowed = false;
  private readonly remotes = new RemoteParticipants();
  private readonly listeners = new Set<(s: CallSnapshot) => void>();
  private status: CallStatus = 'connecting';
  private error?: string;
  private microphoneMuted = false;
  private joinGeneration = 0;
  private rejoinAttempt = 0;
  private failedRejoins = 0;
  private readonly cleanups: (() => void)[] = [];
  private closed = false;
  private media?: LocalMedia;
  private readonly mediaReady: Promise<LocalMedia>;
  private readonly pipe: FramePipe;
  private readonly encryption: CallEncryption;
  private encryptionMode: CallEncryptionState['mode'] = 'pending';
  private readonly chat: ChatMessage[] = [];
  private sending: boolean;
  private ownQuality: NetworkRating | null = null;
  private readonly peerQuality = new Map<string, NetworkRating>();
  private readonly network = new NetworkQuality();
  private readonly audioOnly = new AudioOnlyPolicy();

  /**
   * `media` may still be opening: joining the call does not wait for the camera, only sending does
   * (the professional opens the camera at the click on Admit, in parallel with the join).
   * `sending: false` sets up the media but sends nothing until setSending(true): a professional's ready
   * call (`call:get-ready`), joined while visitors wait.
   */
  constructor(
    private readonly socket: CallSocket,
    readonly callId: string,
    media: LocalMedia | Promise<LocalMedia>,
    options: { sending?: boolean } = {},
  ) {
    this.sending = options.sending ?? true;
    this.mediaReady = Promise.resolve(media).then((m) => (this.media = m));
    this.pipe = new FramePipe((peerId, ok) => this.encryption.decrypting(peerId, ok));
    this.encryption = new CallEncryption(
      callId,
      this.pipe,
      (to, blob) => this.ask('e2ee:key', { callId, to, blob }),
      () => this.changed(),
    );
  }

  private get encrypted(): boolean {
    return this.encryptionMode === 'end-to-end';
  }

  /** Where this call's frames are sealed; null only in a benchmark build's unencrypted call. */
  private get sealing(): FramePipe | null {
    return this.encrypted ? this.pipe : null;
  }

  snapshot(): CallSnapshot {
    return {
      status: this.status,
      remotes: this.remotes.list(),
      microphoneMuted: this.microphoneMuted,
      cameraOff: !this.media?.videoTrack,
      encryption: { mode: this.encryptionMode, ...this.encryption.snapshot() },
      quality: { self: this.ownQuality, peers: Object.fromEntries(this.peerQuality) },
      chat: [...this.chat],
      screenShareAllowed: this.screenShareAllowed,
      sharingScreen: !!this.screen,
      audioOnly: this.audioOnly.on,
      error: this.error,
    };
  }

  subscribe(listener: (s: CallSnapshot) => void): () => void {
    this.listeners.add(listener);
    listener(this.snapshot());
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (!canEncryptFrames()) throw new EncryptionUnsupportedError();
    const on = <K extends keyof CallServerEvents>(event: K, handler: CallServerEvents[K]) => {
      (this.socket as unknown as Socket).on(event, handler as never);
      this.cleanups.push(() => (this.socket as unknown as Socket).off(event, handler as never));
    };
    on('call:consumer-added', (info) => void this.consume(info, this.joinGeneration).resumed.catch((e) => this.fail(e)));
    on('call:consumer-closed', ({ consumerId }) => {
      if (this.remotes.closed(consumerId)) this.changed();
    });
    on('call:consumer-paused', ({ consumerId, paused }) => {
      if (this.remotes.paused(consumerId, paused)) this.changed();
    });
    on('call:ended', ({ callId }) => {
      if (callId === this.callId) this.finish();
    });
    on('call:media-lost', ({ callId }) => {
      if (callId === this.callId) void this.rejoin();
    });
    on('call:peer-joined', ({ callId, peer }) => {
      if (callId !== this.callId) return;
      this.remotes.joined(peer);
      this.changed();
      if (this.encrypted) void this.encryption.peerJoined(peer);
    });
    on('call:peer-left', ({ callId, peerId }) => {
      if (callId !== this.callId) return;
      this.remotes.left(peerId);
      this.peerQuality.delete(peerId);
      this.changed();
      if (this.encrypted) void this.encryption.peerLeft(peerId);
    });
    on('e2ee:key', ({ callId, from, blob }) => {
      if (callId === this.callId && this.encrypted) void this.encryption.keyMessage(from, blob);
    });
    on('call:peer-quality', ({ callId, peerId, rating }) => {
      if (callId !== this.callId) return;
      this.peerQuality.set(peerId, rating);
      this.changed();
    });
    on('chat:message', ({ callId, from, blob, sentAt }) => {
      if (callId === this.callId) void this.receiveChat(from, blob, sentAt);
    });
    // How our connection is doing, every few seconds: shown to the others, kept as technical data.
    const measuring = setInterval(() => void this.measureNetwork(), QUALITY_INTERVAL_MS);
    this.cleanups.push(() => clearInterval(measuring));
    // A dropped signaling connection (our network, or the server process gone) takes our media with it on
    // the server: say so at once, and join again as soon as signaling is back.
    // (The socket's own 'connect', not the manager's 'reconnect': only then is this namespace usable.)
    const onDisconnect = () => this.lostSignaling();
    const onConnect = () => {
      if (this.status === 'reconnecting') void this.rejoin();
    };
    this.socket.on('disconnect', onDisconnect);
    this.socket.on('connect', onConnect);
    this.cleanups.push(() => {
      this.socket.off('disconnect', onDisconnect);
      this.socket.off('connect', onConnect);
    });
    void this.mediaReady.then((media) => {
      const off = media.onTrackChange((kind, track) => void this.onLocalTrack(kind, track));
      if (this.closed) off();
      else this.cleanups.push(off);
    });
    // A socket still connecting (a dashboard just opened): the first join waits for it.
    if (!this.socket.connected) await new Promise((resolve) => this.socket.once('connect', () => resolve(undefined)));
    await this.join();
  }

  async setMicrophoneMuted(muted: boolean): Promise<void> {
    this.microphoneMuted = muted;
    const producer = this.producers.get('audio');
    if (producer) {
      if (muted) producer.pause();
      else producer.resume();
      await this.ask('media:set-producer-paused', { callId: this.callId, producerId: producer.id, paused: muted });
    }
    this.changed();
  }

  async setCameraOff(off: boolean): Promise<void> {
    await (await this.mediaReady).setCameraOn(!off);
    this.changed();
  }

  /**
   * Starts or stops sending the local tracks, without renegotiating (the encodings are switched on or
   * off): a ready call's media is all set up, and the first frame leaves as soon as it is switched on.
   */
  async setSending(on: boolean): Promise<void> {
    this.sending = on;
    await Promise.all([...this.producers.values()].map((p) => this.applySending(p)));
  }

  /**
   * Shares a screen, window or tab (the browser asks which). It ends with stopScreenShare(), or when the
   * person stops it from the browser's own bar.
   */
  async startScreenShare(): Promise<void> {
    if (this.screen || !this.screenShareAllowed) return;
    const stream = await navigator.mediaDevices.getDisplayMedia(SCREEN_CONSTRAINTS);
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    track.contentHint = 'detail';
    this.screen = { track };
    track.addEventListener('ended', () => void this.stopScreenShare());
    this.changed();
    try {
      await this.produceScreen();
    } catch (error) {
      await this.stopScreenShare();
      throw error;
    }
  }

  async stopScreenShare(): Promise<void> {
    const screen = this.screen;
    if (!screen) return;
    this.screen = undefined;
    screen.track.stop();
    if (screen.producer) {
      screen.producer.close();
      await this.ask('media:close-producer', { callId: this.callId, producerId: screen.producer.id }).catch(() => undefined);
    }
    this.changed();
  }

  private async produceScreen(): Promise<void> {
    const screen = this.screen;
    if (!screen || !this.sendTransport) return;
    const producer = await produceSealed(this.sendTransport, this.sealing, 'video', { track: screen.track, stopTracks: false, appData: { source: 'screen' } });
    if (this.screen === screen) screen.producer = producer;
    else producer.close();
  }

  /** Whether the call can still be used: a ready call whose media was lost for good cannot. */
  get usable(): boolean {
    return this.status === 'connecting' || this.status === 'connected' || this.status === 'reconnecting';
  }

  /** Sends a text message to everyone else in the call, sealed with this browser's chat key. */
  async sendChat(text: string): Promise<void> {
    const trimmed = text.trim();
    if (!trimmed) return;
    if (trimmed.length > MAX_CHAT_TEXT) throw new Error(`at most ${MAX_CHAT_TEXT} characters`);
    if (!this.encrypted) throw new Error('chat needs an encrypted call');
    const blob = await this.encryption.sealChat(trimmed);
    const { sentAt } = await this.ask('chat:send', { callId: this.callId, blob });
    this.chat.push({ from: null, text: trimmed, sentAt });
    this.changed();
  }

  /** The new safety code was compared after a participant's key changed: the warning goes. */
  keyChangeCompared(): void {
    this.encryption.keyChangeCompared();
  }

  async hangUp(): Promise<void> {
    try {
      await this.ask('call:hang-up', { callId: this.callId });
    } catch (error) {
      if (!(error instanceof RequestError && error.code === 'call_ended')) throw error;
    }
    this.finish();
  }

  close(): void {
    this.closed = true;
    this.screen?.track.stop();
    this.screen = undefined;
    for (const c of this.cleanups.splice(0)) c();
    this.closeTransports();
    this.encryption.close();
  }

  private async measureNetwork(): Promise<void> {
    if (this.status !== 'connected' || !this.sendTransport || !this.recvTransport) return;
    const reports = await Promise.all([this.sendTransport.getStats(), this.recvTransport.getStats()]).catch(() => null);
    if (!reports) return;
    const sample = await this.network.sample(reports);
    if (sample.rating !== this.ownQuality) {
      this.ownQuality = sample.rating;
      this.changed();
    }
    await this.ask('call:quality', { callId: this.callId, ...sample }).catch(() => undefined);
    const audioOnly = this.audioOnly.next(sample.rating);
    if (audioOnly !== null) await this.applyAudioOnly(audioOnly);
  }

  /** Video anyway, whatever the network: for the rest of this call. */
  async wantVideoAnyway(): Promise<void> {
    const change = this.audioOnly.override();
    if (change !== null) await this.applyAudioOnly(change);
  }

  /**
   * Sound only: our camera stops being sent (the others see it off) and the SFU stops sending us the
   * others' cameras. Back to video: both restart, unless the camera was turned off meanwhile.
   */
  private async applyAudioOnly(on: boolean): Promise<void> {
    this.changed();
    const camera = this.producers.get('video');
    if (camera && (on || this.media?.videoTrack)) {
      if (on) camera.pause();
      else camera.resume();
      await this.ask('media:set-producer-paused', { callId: this.callId, producerId: camera.id, paused: on }).catch(() => undefined);
    }
    await this.ask('media:receive-video', { callId: this.callId, on: !on }).catch(() => undefined);
  }

  private async receiveChat(from: string, blob: string, sentAt: number): Promise<void> {
    const text = this.encrypted ? await this.encryption.openChat(from, blob) : null;
    this.chat.push({ from, text, sentAt });
    this.changed();
  }

  private async join(): Promise<void> {
    const generation = ++this.joinGeneration;
    const device = await preloadDevice();
    mark('join-sent');
    const joined = await this.ask('call:join', {
      callId: this.callId,
      rtpCapabilities: device.rtpCapabilities as unknown as Record<string, unknown>,
      publicKey: await this.encryption.publicKey(),
    }).catch((error: unknown) => {
      if (error instanceof RequestError && (error.code === 'call_ended' || error.code === 'not_found')) throw new JoinRefused(error.code);
      throw error;
    });
    mark('joined');
    if (generation !== this.joinGeneration) return;
    if (joined.encryption !== 'end-to-end' && !UNENCRYPTED_CALLS_ALLOWED) return this.refuseUnencrypted();
    this.encryptionMode = joined.encryption;
    this.screenShareAllowed = joined.screenShare;
    // Our key is sealed for those already here meanwhile: the first frames wait for it in the pipe
    // (never sent unsealed), and producing need not wait for the key exchange.
    const keyed = this.encrypted ? this.encryption.joined(joined.self, joined.peers).then(() => mark('keyed')) : Promise.resolve();
    const settings = this.encrypted ? TRANSPORT_SETTINGS : UNENCRYPTED_SETTINGS;
    this.recvTransport = this.transport(device.createRecvTransport({ ...asTransport(joined.recvTransport), additionalSettings: settings }));
    this.sendTransport = this.transport(device.createSendTransport({ ...asTransport(joined.sendTransport), additionalSettings: settings }));
    this.sendTransport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      this.ask('media:produce', {
        callId: this.callId,
        transportId: this.sendTransport!.id,
        kind,
        source: appData.source as 'microphone' | 'camera' | 'screen',
        rtpParameters: rtpParameters as unknown as Record<string, unknown>,
      }).then(({ producerId }) => callback({ id: producerId }), errback);
    });
    for (const peer of joined.peers) this.remotes.joined(peer);
    const media = await this.mediaReady;
    if (generation !== this.joinGeneration) return;
    // Receive first: seeing the other person is what the admission is waiting for, and this browser
    // negotiates one thing at a time. Once the incoming video is set up (the admitted visitor: the
    // professional's ready call sends from the start), send video, then audio.
    const receiving = joined.consumers.map((info) => this.consume(info, generation));
    const videoIn = joined.consumers.findIndex((c) => c.kind === 'video');
    if (videoIn >= 0) await receiving[videoIn]!.created;
    await Promise.all([
      keyed,
      ...receiving.map((r) => r.resumed),
      this.produce('video', media.videoTrack),
      this.produce('audio', media.audioTrack),
      // A share that was going on before a rejoin goes on.
      this.produceScreen(),
    ]);
    if (generation !== this.joinGeneration) return;
    // Joined again on a connection still too weak for video: sound only from the start.
    if (this.audioOnly.on) await this.applyAudioOnly(true);
    this.status = 'connected';
    this.failedRejoins = 0;
    this.changed();
  }

  /** No transport is made and nothing is sent; the call says why (see EncryptionStatus). */
  private refuseUnencrypted(): void {
    this.encryptionMode = 'refused';
    this.status = 'failed';
    this.error = 'the server offered the call unencrypted';
    this.close();
    this.changed();
  }

  private lostSignaling(): void {
    if (this.status !== 'connected' && this.status !== 'connecting') return;
    // Whatever join was under way is void; the rejoin after the reconnect starts afresh.
    this.joinGeneration++;
    this.rejoinAttempt++;
    this.status = 'reconnecting';
    this.closeTransports();
    this.changed();
  }

  /** Joins again after lost media (a dead media server, a dropped connection), retrying with backoff. */
  private async rejoin(): Promise<void> {
    if (this.status === 'ended' || this.closed) return;
    const attempt = ++this.rejoinAttempt;
    this.status = 'reconnecting';
    this.closeTransports();
    this.changed();
    for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
      // Without signaling there is nothing to try: the reconnect starts a new rejoin.
      if (!this.socket.connected) return;
      try {
        await this.join();
        return;
      } catch (error) {
        if (this.superseded(attempt)) return;
        // Only the server's answer to the join itself says the call is over for us; a refusal of a later
        // step (a transport of an earlier, superseded join) is retried.
        if (error instanceof JoinRefused) return this.finish();
        if (delay >= 4000 && ++this.failedRejoins > 5) return this.fail(error);
        this.closeTransports();
        await new Promise((r) => setTimeout(r, delay));
        if (this.superseded(attempt)) return;
      }
    }
  }

  /** A newer rejoin took over, or the call ended meanwhile (the status changes under our feet). */
  private superseded(attempt: number): boolean {
    return attempt !== this.rejoinAttempt || this.snapshot().status === 'ended';
  }

  private transport(t: types.Transport): types.Transport {
    t.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.ask('media:connect-transport', {
        callId: this.callId,
        transportId: t.id,
        dtlsParameters: dtlsParameters as unknown as Record<string, unknown>,
      }).then(() => callback(), errback);
    });
    t.on('connectionstatechange', (state) => {
      mark(`${t.direction}-transport-${state}`);
      if (state === 'failed' && this.status === 'connected') void this.rejoin();
    });
    return t;
  }

  private async produce(kind: 'audio' | 'video', track: MediaStreamTrack | undefined): Promise<void> {
    if (!track || !this.sendTransport) return;
    const producer = await produceSealed(this.sendTransport, this.sealing, kind, {
      track,
      stopTracks: false,
      appData: { source: kind === 'audio' ? 'microphone' : 'camera' },
      ...(kind === 'audio' ? { codecOptions: { opusDtx: true, opusFec: true } } : {}),
    });
    mark(`produced-${kind}`);
    this.producers.set(kind, producer);
    if (!this.sending) await this.applySending(producer);
    if (kind === 'audio' && this.microphoneMuted) {
      producer.pause();
      await this.ask('media:set-producer-paused', { callId: this.callId, producerId: producer.id, paused: true });
    }
  }

  private async applySending(producer: types.Producer): Promise<void> {
    const sender = producer.rtpSender;
    if (!sender) return;
    const wanted = this.sending;
    const params = sender.getParameters();
    if (params.encodings.every((e) => e.active === wanted)) return;
    for (const e of params.encodings) e.active = wanted;
    await sender.setParameters(params).catch(async () => {
      // A negotiation of the other track changed the parameters meanwhile: once more, with fresh ones.
      const fresh = sender.getParameters();
      for (const e of fresh.encodings) e.active = this.sending;
      await sender.setParameters(fresh);
    });
  }

  /** The local device changed (switch, camera on/off): swap what is sent without renegotiating. */
  private async onLocalTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    const producer = this.producers.get(kind);
    if (!producer) {
      if (track) await this.produce(kind, track);
      this.changed();
      return;
    }
    await producer.replaceTrack({ track });
    const paused = track === null || (kind === 'audio' ? this.microphoneMuted : this.audioOnly.on);
    if (paused) producer.pause();
    else producer.resume();
    await this.ask('media:set-producer-paused', { callId: this.callId, producerId: producer.id, paused });
    this.changed();
  }

  /** `created`: the consumer is set up here; `resumed`: the SFU has been told to start sending it. */
  private consume(info: ConsumerInfo, generation: number): { created: Promise<void>; resumed: Promise<void> } {
    const created = this.createConsumer(info, generation);
    const resumed = created.then(async (consumer) => {
      if (!consumer) return;
      await this.ask('media:resume-consumer', { callId: this.callId, consumerId: consumer.id });
      mark(`resumed-${info.kind}`);
    });
    return { created: created.then(() => undefined), resumed };
  }

  private async createConsumer(info: ConsumerInfo, generation: number): Promise<types.Consumer | undefined> {
    if (!this.recvTransport || generation !== this.joinGeneration) return undefined;
    mark(`consume-${info.kind}`);
    const consumer = await consumeSealed(this.recvTransport, this.sealing, info.peer.id, {
      id: info.consumerId,
      producerId: info.producerId,
      kind: info.kind,
      rtpParameters: info.rtpParameters as unknown as types.RtpParameters,
    });
    this.remotes.received(info, consumer);
    this.changed();
    return consumer;
  }

  private closeTransports(): void {
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = undefined;
    this.recvTransport = undefined;
    this.producers.clear();
    this.remotes.clearMedia();
    if (this.screen) this.screen.producer = undefined;
  }

  private finish(): void {
    if (this.status === 'ended') return;
    this.status = 'ended';
    this.close();
    this.changed();
  }

  private fail(error: unknown): void {
    if (this.status === 'ended') return;
    this.status = 'failed';
    this.error = error instanceof Error ? error.message : String(error);
    this.changed();
  }

  private changed(): void {
    const s = this.snapshot();
    for (const l of this.listeners) l(s);
  }

  /**
   * A call request while signaling is down fails at once rather than waiting in Socket.IO's buffer: sent
   * after the reconnect it would belong to a join that no longer exists.
   */
  private ask<K extends keyof CallClientEvents & string>(event: K, payload: Parameters<CallClientEvents[K]>[0]) {
    if (!this.socket.connected) return Promise.reject(new RequestError('timeout', `${event}: not connected`)) as never;
    return request(this.socket as never, event as never, payload as never) as Promise<
      Parameters<Parameters<CallClientEvents[K]>[1]>[0] extends infer A ? (A extends { ok: true } ? A : never) : never
    >;
  }
}

function asTransport(t: TransportInfo) {
  return t as unknown as Pick<types.TransportOptions, 'id' | 'iceParameters' | 'iceCandidates' | 'dtlsParameters' | 'iceServers' | 'iceTransportPolicy'>;
}
