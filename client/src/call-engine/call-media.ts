import type { types } from 'mediasoup-client';
import type { CallJoined, ConsumerInfo, TransportInfo } from '../../../signaling/protocol/index.ts';
import type { CallContext } from './call-socket.ts';
import type { FramePipe } from './frame-pipe.ts';
import { mark } from './marks.ts';
import type { RemoteParticipants } from './remote-participants.ts';
import { consumeSealed, produceSealed } from './sealed-media.ts';
import { dtlsParametersOf, sameDtls } from './dtls-certificate.ts';

// Frame encryption (E2EE) needs encoded-frame access; it silently does nothing unless the peer
// connection was created with this flag (see shared/notes/e2ee-in-chromium.md), so every transport has it.
// (Chromium's own setting, not in TypeScript's RTCConfiguration.)
const ENCRYPTED_SETTINGS: Partial<RTCConfiguration> & { encodedInsertableStreams: true } = { encodedInsertableStreams: true };
/** Only on a server started for the encryption benchmark (production refuses it): plain transports. */
const UNENCRYPTED_SETTINGS: Partial<RTCConfiguration> = {};

/**
 * The media of one join of a call: its two transports to the SFU, the local tracks sent on one (camera,
 * microphone) and the others' received on the other. A rejoin closes them and opens new ones.
 */
export class CallMedia {
  private sendTransport?: types.Transport;
  private recvTransport?: types.Transport;
  private readonly producers = new Map<'audio' | 'video', types.Producer>();
  private sending: boolean;
  microphoneMuted = false;

  constructor(
    private readonly call: CallContext,
    private readonly remotes: RemoteParticipants,
    /** Where frames are sealed; null only in a benchmark build's unencrypted call. */
    private readonly sealing: () => FramePipe | null,
    /** Camera video is held back: the connection is too weak for it (see AudioOnlyPolicy). */
    private readonly audioOnly: () => boolean,
    /** A transport's connection failed for good. */
    private readonly onFailed: () => void,
    /** A transport connected in the join announced other DTLS parameters than the join sent. */
    private readonly onDtlsMismatch: () => void,
    options: { sending: boolean },
  ) {
    this.sending = options.sending;
  }

  private readonly requested = new Map<string, () => void>();

  /** Resolves when this browser's part of sending `kind` is done and its request to the SFU has left. */
  requestedToSend(kind: 'audio' | 'video'): Promise<void> {
    return new Promise((resolve) => this.requested.set(kind, resolve));
  }

  get send(): types.Transport | undefined {
    return this.sendTransport;
  }

  get recv(): types.Transport | undefined {
    return this.recvTransport;
  }

  producer(kind: 'audio' | 'video'): types.Producer | undefined {
    return this.producers.get(kind);
  }

  /**
   * Both transports, as the join's answer describes them. `certificate`: the one whose fingerprint the
   * join sent (see dtls-certificate.ts); a transport the server connected with it needs no connect request.
   */
  open(device: types.Device, joined: CallJoined, certificate?: RTCCertificate): void {
    const additionalSettings = { ...(this.sealing() ? ENCRYPTED_SETTINGS : UNENCRYPTED_SETTINGS), ...(certificate ? { certificates: [certificate] } : {}) };
    const sent = certificate && dtlsParametersOf(certificate);
    this.recvTransport = this.watch(device.createRecvTransport({ ...transportOptions(joined.recvTransport), additionalSettings }), joined.recvTransport.connected ? sent : undefined);
    const send = this.watch(device.createSendTransport({ ...transportOptions(joined.sendTransport), additionalSettings }), joined.sendTransport.connected ? sent : undefined);
    this.sendTransport = send;
    send.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      this.requested.get(kind)?.();
      this.requested.delete(kind);
      this.call
        .ask('media:produce', {
          callId: this.call.callId,
          transportId: send.id,
          kind,
          source: appData.source as 'microphone' | 'camera' | 'screen',
          rtpParameters,
        })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
  }

  /**
   * Connects the receiving transport (ICE and DTLS) before anyone sends to us: a browser connects it only
   * with something to receive, so a professional's ready call would otherwise do it when the visitor's
   * first track arrives, after the click on Admit. A placeholder audio section nobody sends on (its own
   * mid, never one the SFU gives a consumer) is received until the transport is up, then closed.
   * Nothing reaches the SFU but the transport's connect, which every join makes anyway.
   */
  connectReceiving(device: types.Device): void {
    const transport = this.recvTransport;
    const opus = device.rtpCapabilities.codecs?.find((c) => c.kind === 'audio' && c.preferredPayloadType !== undefined);
    if (!transport || !opus || transport.connectionState !== 'new') return;
    const placeholder = transport
      .consume({
        id: 'placeholder',
        producerId: 'placeholder',
        kind: 'audio',
        rtpParameters: {
          mid: 'placeholder',
          codecs: [{ mimeType: opus.mimeType, payloadType: opus.preferredPayloadType!, clockRate: opus.clockRate, channels: opus.channels, parameters: opus.parameters ?? {} }],
          headerExtensions: [],
          encodings: [{ ssrc: 1 }],
          rtcp: { cname: 'placeholder', reducedSize: true },
        },
      })
      .catch(() => undefined);
    const up = (state: string) => {
      if (state !== 'connected' && state !== 'failed' && state !== 'closed') return;
      transport.off('connectionstatechange', up);
      void placeholder.then((c) => c?.close());
    };
    transport.on('connectionstatechange', up);
  }

  async produce(kind: 'audio' | 'video', track: MediaStreamTrack | undefined): Promise<void> {
    if (!track || !this.sendTransport) return;
    const producer = await produceSealed(this.sendTransport, this.sealing(), kind, {
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
      await this.call.ask('media:set-producer-paused', { callId: this.call.callId, producerId: producer.id, paused: true });
    }
  }

  async setMicrophoneMuted(muted: boolean): Promise<void> {
    this.microphoneMuted = muted;
    const producer = this.producers.get('audio');
    if (producer) {
      if (muted) producer.pause();
      else producer.resume();
      await this.call.ask('media:set-producer-paused', { callId: this.call.callId, producerId: producer.id, paused: muted });
    }
  }

  /**
   * Starts or stops sending the local tracks, without renegotiating (the encodings are switched on or
   * off): a ready call's media is all set up, and the first frame leaves as soon as it is switched on.
   */
  async setSending(on: boolean): Promise<void> {
    this.sending = on;
    await Promise.all([...this.producers.values()].map((p) => this.applySending(p)));
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
  async localTrackChanged(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    const producer = this.producers.get(kind);
    if (!producer) {
      if (track) await this.produce(kind, track);
      return;
    }
    await producer.replaceTrack({ track });
    const paused = track === null || (kind === 'audio' ? this.microphoneMuted : this.audioOnly());
    if (paused) producer.pause();
    else producer.resume();
    await this.call.ask('media:set-producer-paused', { callId: this.call.callId, producerId: producer.id, paused });
  }

  /**
   * `created`: the consumer is set up here; `resumed`: the SFU has been told to start sending it.
   * `current`: whether the join it belongs to still is the call's (a rejoin makes it void).
   */
  consume(info: ConsumerInfo, current: () => boolean): { created: Promise<void>; resumed: Promise<void> } {
    const created = this.createConsumer(info, current);
    const resumed = created.then(async (consumer) => {
      if (!consumer) return;
      mark(`created-${info.kind}`);
      await this.call.ask('media:resume-consumer', { callId: this.call.callId, consumerId: consumer.id });
      mark(`resumed-${info.kind}`);
    });
    return { created: created.then(() => undefined), resumed };
  }

  private async createConsumer(info: ConsumerInfo, current: () => boolean): Promise<types.Consumer | undefined> {
    if (!this.recvTransport || !current()) return undefined;
    mark(`consume-${info.kind}`);
    const consumer = await consumeSealed(this.recvTransport, this.sealing(), info.peer.id, {
      id: info.consumerId,
      producerId: info.producerId,
      kind: info.kind,
      rtpParameters: info.rtpParameters,
    });
    this.remotes.received(info, consumer);
    this.call.changed();
    return consumer;
  }

  close(): void {
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = undefined;
    this.recvTransport = undefined;
    this.producers.clear();
    this.remotes.clearMedia();
  }

  /** `connectedWith`: the DTLS parameters the server connected this transport with in the join. */
  private watch(t: types.Transport, connectedWith?: types.DtlsParameters): types.Transport {
    t.on('connect', ({ dtlsParameters }, callback, errback) => {
      mark(`${t.direction}-transport-connect`);
      if (connectedWith) {
        // Connected already; were it with other parameters (never expected), DTLS fails and the rejoin
        // that follows goes without the certificate.
        if (!sameDtls(dtlsParameters, connectedWith)) this.onDtlsMismatch();
        return callback();
      }
      this.call.ask('media:connect-transport', { callId: this.call.callId, transportId: t.id, dtlsParameters }).then(() => callback(), errback);
    });
    t.on('connectionstatechange', (state) => {
      mark(`${t.direction}-transport-${state}`);
      if (state === 'failed') this.onFailed();
    });
    return t;
  }
}

function transportOptions(t: TransportInfo) {
  return {
    id: t.id,
    iceParameters: t.iceParameters,
    iceCandidates: t.iceCandidates,
    dtlsParameters: t.dtlsParameters,
    iceServers: t.iceServers,
    iceTransportPolicy: t.iceTransportPolicy,
  };
}

