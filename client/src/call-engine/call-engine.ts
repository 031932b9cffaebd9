import type { CallServerEvents, ConsumerInfo } from '../../../signaling/protocol/index.ts';
import type { LocalMedia } from './local-media.ts';
import { RequestError } from './request.ts';
import { canEncryptFrames, FramePipe } from './frame-pipe.ts';
import { CallEncryption } from './e2ee/call-encryption.ts';
import { mark } from './marks.ts';
import { RemoteParticipants, type RemoteParticipant } from './remote-participants.ts';
import { asker, type Ask, type CallContext, type CallSocket } from './call-socket.ts';
import type { CallEncryptionState, CallSnapshot, CallStatus } from './call-snapshot.ts';
import { loadedDevice, preloadDevice } from './device.ts';
import { dtlsParametersOf, takeCertificate } from './dtls-certificate.ts';
import { CallMedia } from './call-media.ts';
import { ScreenShare } from './screen-share.ts';
import { CallChat } from './chat.ts';
import { CallQualityWatch, QUALITY_INTERVAL_MS } from './call-quality.ts';
import { JoinRefused, rejoinWithBackoff } from './rejoin.ts';

export type { RemoteParticipant, CallSocket };
export type { CallEncryptionState, CallQuality, CallSnapshot, CallStatus, ChatMessage } from './call-snapshot.ts';
export { preloadDevice };

/** Thrown by start() in a browser that cannot encrypt frames: it may not join (no call goes out in clear). */
export class EncryptionUnsupportedError extends Error {
  constructor() {
    super('this browser cannot encrypt calls');
  }
}

/**
 * Whether this build may take part in a call unencrypted: only the benchmark build
 * (`vite build --mode benchmark`, into dist-benchmark) may. Decided when the app is built, not by what the
 * server answers: a server (or whoever stands in for it) saying "off" must not make anyone send in clear.
 */
const UNENCRYPTED_CALLS_ALLOWED = import.meta.env?.MODE === 'benchmark';

/**
 * One participant's side of a call, shared by the visitor app and the dashboard: joins the call's SFU
 * router, sends the local tracks, receives everyone else's, and follows mute/camera state both ways.
 * Its parts, each in a file of its own: the transports and tracks (CallMedia), the keys (CallEncryption),
 * the screen share, the chat, the connection's quality and sound only, and the rejoin after lost media.
 */
export class CallEngine {
  private readonly remotes = new RemoteParticipants();
  private readonly listeners = new Set<(s: CallSnapshot) => void>();
  private status: CallStatus = 'connecting';
  private error?: string;
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
  private readonly ask: Ask;
  private readonly calls: CallMedia;
  private readonly screen: ScreenShare;
  private readonly chat: CallChat;
  private readonly quality: CallQualityWatch;
  /** Consumers the SFU announced before this join's transports existed (see the join). */
  private earlyConsumers: ConsumerInfo[] = [];
  private markReceiving!: () => void;
  /**
   * Resolves once the first join's media is under way (its answer read, the incoming media set up, the
   * request to send our video gone), or the join gave up: a page may render the call then, so that the
   * render holds up neither the join's answer nor our first video.
   */
  readonly receiving = new Promise<void>((resolve) => (this.markReceiving = resolve));
  /** Waiting for the next track someone starts sending to be set up here (see nextRemoteTrack). */
  private remoteTrackWaiters: (() => void)[] = [];
  /** This call's DTLS certificate (taken at its first join, kept for rejoins); null: joins go without one. */
  private certificate?: RTCCertificate | null;

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
    this.ask = asker(socket);
    const context: CallContext = { callId, ask: this.ask, changed: () => this.changed() };
    this.mediaReady = Promise.resolve(media).then((m) => (this.media = m));
    this.pipe = new FramePipe((peerId, ok) => this.encryption.decrypting(peerId, ok));
    this.encryption = new CallEncryption(
      callId,
      this.pipe,
      (to, blob) => this.ask('e2ee:key', { callId, to, blob }),
      () => this.changed(),
    );
    const sealing = () => this.sealing;
    this.calls = new CallMedia(
      context,
      this.remotes,
      sealing,
      () => this.quality.soundOnly,
      () => {
        if (this.status === 'connected') void this.rejoin();
      },
      () => (this.certificate = null),
      { sending: options.sending ?? true },
    );
    this.screen = new ScreenShare(context, () => this.calls.send, sealing);
    this.chat = new CallChat(context, this.encryption, () => this.encrypted);
    this.quality = new CallQualityWatch(context, this.calls, () => this.media?.videoTrack);
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
      microphoneMuted: this.calls.microphoneMuted,
      cameraOff: !this.media?.videoTrack,
      encryption: { mode: this.encryptionMode, ...this.encryption.snapshot() },
      quality: this.quality.quality,
      chat: [...this.chat.messages],
      screenShareAllowed: this.screen.allowed,
      sharingScreen: this.screen.sharing,
      audioOnly: this.quality.soundOnly,
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
      this.socket.on(event, handler as never);
      this.cleanups.push(() => this.socket.off(event, handler as never));
    };
    on('call:consumer-added', (info) => {
      // Someone started sending while our join was under way: the join takes it once its transports exist.
      if (!this.calls.recv) return void this.earlyConsumers.push(info);
      const generation = this.joinGeneration;
      void this.consume(info, () => generation === this.joinGeneration).resumed.catch((e) => this.fail(e));
    });
    on('call:consumer-closed', ({ consumerId }) => {
      this.earlyConsumers = this.earlyConsumers.filter((c) => c.consumerId !== consumerId);
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
      this.quality.peerLeft(peerId);
      this.changed();
      if (this.encrypted) void this.encryption.peerLeft(peerId);
    });
    on('e2ee:key', ({ callId, from, blob }) => {
      if (callId === this.callId && this.encrypted) void this.encryption.keyMessage(from, blob);
    });
    on('call:peer-quality', ({ callId, peerId, rating }) => {
      if (callId === this.callId) this.quality.peerRated(peerId, rating);
    });
    on('chat:message', ({ callId, from, blob, sentAt }) => {
      if (callId === this.callId) void this.chat.received(from, blob, sentAt);
    });
    // How our connection is doing, every few seconds: shown to the others, kept as technical data.
    const measuring = setInterval(() => {
      if (this.status === 'connected') void this.quality.measure();
    }, QUALITY_INTERVAL_MS);
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
      const off = media.onTrackChange((kind, track) => void this.calls.localTrackChanged(kind, track).then(() => this.changed()));
      if (this.closed) off();
      else this.cleanups.push(off);
    });
    // A socket still connecting (a dashboard just opened): the first join waits for it.
    try {
      if (!this.socket.connected) await new Promise((resolve) => this.socket.once('connect', () => resolve(undefined)));
      await this.join();
    } finally {
      this.markReceiving();
    }
  }

  async setMicrophoneMuted(muted: boolean): Promise<void> {
    await this.calls.setMicrophoneMuted(muted);
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
  setSending(on: boolean): Promise<void> {
    return this.calls.setSending(on);
  }

  /**
   * Shares a screen, window or tab (the browser asks which). It ends with stopScreenShare(), or when the
   * person stops it from the browser's own bar.
   */
  startScreenShare(): Promise<void> {
    return this.screen.start();
  }

  stopScreenShare(): Promise<void> {
    return this.screen.stop();
  }

  /** Whether the call can still be used: a ready call whose media was lost for good cannot. */
  get usable(): boolean {
    return this.status === 'connecting' || this.status === 'connected' || this.status === 'reconnecting';
  }

  /** Sends a text message to everyone else in the call, sealed with this browser's chat key. */
  sendChat(text: string): Promise<void> {
    return this.chat.send(text);
  }

  /** The new safety code was compared after a participant's key changed: the warning goes. */
  keyChangeCompared(): void {
    this.encryption.keyChangeCompared();
  }

  /** Video anyway, whatever the network: for the rest of this call. */
  wantVideoAnyway(): Promise<void> {
    return this.quality.wantVideoAnyway();
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
    this.screen.close();
    for (const c of this.cleanups.splice(0)) c();
    this.closeTransports();
    this.encryption.close();
  }

  private async join(): Promise<void> {
    const generation = ++this.joinGeneration;
    const current = () => generation === this.joinGeneration;
    this.earlyConsumers = [];
    // Both are ready ahead of an admission (loaded while waiting): then the request goes out before this
    // page renders the call screen, which would otherwise run first (Preact renders in a microtask).
    const device = loadedDevice() ?? (await preloadDevice());
    const publicKey = this.encryption.publicKeyNow() ?? (await this.encryption.publicKey());
    // Made while waiting too, if this browser can: the server connects our transports in the join.
    if (this.certificate === undefined) this.certificate = takeCertificate();
    const certificate = this.certificate ?? undefined;
    mark('join-sent');
    const joined = await this.ask('call:join', {
      callId: this.callId,
      rtpCapabilities: device.rtpCapabilities,
      publicKey,
      ...(certificate ? { dtlsParameters: dtlsParametersOf(certificate) } : {}),
    }).catch((error: unknown) => {
      if (error instanceof RequestError && (error.code === 'call_ended' || error.code === 'not_found')) throw new JoinRefused(error.code);
      throw error;
    });
    mark('joined');
    if (!current()) return;
    if (joined.encryption !== 'end-to-end' && !UNENCRYPTED_CALLS_ALLOWED) return this.refuseUnencrypted();
    this.encryptionMode = joined.encryption;
    this.screen.allowed = joined.screenShare;
    // Our key is sealed for those already here meanwhile: the first frames wait for it in the pipe
    // (never sent unsealed), and producing need not wait for the key exchange.
    const keyed = this.encrypted ? this.encryption.joined(joined.self, joined.peers).then(() => mark('keyed')) : Promise.resolve();
    this.calls.open(device, joined, certificate);
    // Nobody sends yet (a ready call): the receiving transport connects now, not when the first track comes.
    if (joined.consumers.length === 0 && this.earlyConsumers.length === 0) this.calls.connectReceiving(device);
    for (const peer of joined.peers) this.remotes.joined(peer);
    const media = await this.mediaReady;
    if (!current()) return;
    // Receive first: seeing the other person is what the admission is waiting for, and this browser
    // negotiates one thing at a time. Once the incoming video is set up (the admitted visitor: the
    // professional's ready call sends from the start), send video, then audio.
    const consumers = [...joined.consumers, ...this.earlyConsumers.splice(0).filter((e) => !joined.consumers.some((c) => c.consumerId === e.consumerId))];
    const receiving = consumers.map((info) => this.consume(info, current));
    const videoIn = consumers.findIndex((c) => c.kind === 'video');
    if (videoIn >= 0) await receiving[videoIn]!.created;
    const videoRequested = this.calls.requestedToSend('video');
    const video = this.calls.produce('video', media.videoTrack);
    // The page renders once our video's request has left too (or sending it ended either way): its
    // render would otherwise hold up the professional's first sight of us.
    void Promise.race([videoRequested, video])
      .catch(() => undefined)
      .then(() => this.markReceiving());
    await Promise.all([
      keyed,
      ...receiving.map((r) => r.resumed),
      video,
      this.calls.produce('audio', media.audioTrack),
      // A share that was going on before a rejoin goes on.
      this.screen.produce(),
    ]);
    if (!current()) return;
    await this.quality.afterJoin();
    this.status = 'connected';
    this.failedRejoins = 0;
    this.changed();
  }

  /**
   * Resolves once the next track someone starts sending (an admitted visitor's video, which they send
   * first; their audio if they have no camera) is set up here and asked of the SFU, its first frame on the
   * way. A dashboard renders its call screen after that: the render holds the page for tens of
   * milliseconds, just when the newcomer's key and media are set up here.
   */
  nextRemoteTrack(): Promise<void> {
    return new Promise((resolve) => this.remoteTrackWaiters.push(resolve));
  }

  private consume(info: ConsumerInfo, current: () => boolean): ReturnType<CallMedia['consume']> {
    const consuming = this.calls.consume(info, current);
    // `created` resolves after the request to resume it has gone out. One that fails is the join's or the
    // handler's to report; whoever waits gives up at their own bound.
    consuming.created.then(
      () => this.remoteTrackWaiters.splice(0).forEach((resolve) => resolve()),
      () => undefined,
    );
    return consuming;
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
    await rejoinWithBackoff({
      connected: () => this.socket.connected,
      join: () => this.join(),
      // A newer rejoin took over, or the call ended meanwhile (the status changes under our feet).
      superseded: () => attempt !== this.rejoinAttempt || this.snapshot().status === 'ended',
      failedAtLongestWait: () => ++this.failedRejoins,
      closeTransports: () => this.closeTransports(),
      ended: () => this.finish(),
      failed: (error) => this.fail(error),
    });
  }

  private closeTransports(): void {
    this.calls.close();
    this.screen.transportsClosed();
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
}
