import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { Participant } from './participant.ts';
import { MediaError } from './media-error.ts';
import type { MediaSource } from './media-source.ts';
import {
  browserDtlsParameters,
  browserIceCandidates,
  browserRtpParameters,
  type BrowserDtlsParameters,
  type BrowserIceCandidate,
  type BrowserIceParameters,
  type BrowserRtpParameters,
} from './browser-types.ts';

export interface TransportDescription {
  id: string;
  iceParameters: BrowserIceParameters;
  iceCandidates: BrowserIceCandidate[];
  dtlsParameters: BrowserDtlsParameters;
  /** Connected in the join with the DTLS parameters it was given. */
  connected?: true;
}

export interface ConsumerDescription {
  consumerId: string;
  producerId: string;
  /** The participant whose producer this consumes. */
  producerParticipantId: string;
  kind: types.MediaKind;
  source: MediaSource;
  rtpParameters: BrowserRtpParameters;
  producerPaused: boolean;
}

export interface CallRouterEvents {
  /** A consumer was created for `participantId` because someone else started producing. */
  'consumer-added': [participantId: string, consumer: ConsumerDescription];
  'consumer-closed': [participantId: string, consumerId: string];
  'consumer-paused': [participantId: string, consumerId: string, paused: boolean];
}

/** Where a call's transports listen: the worker's WebRtcServer (fixed ports), or ports of their own. */
export type TransportListen = { webRtcServer: types.WebRtcServer } | { listenIps: types.TransportListenIp[] };

/**
 * The media side of one call: a mediasoup router on one worker and its participants. It knows
 * participants only by opaque ids; who they are is the signaling layer's business.
 */
export class CallRouter extends EventEmitter<CallRouterEvents> {
  private readonly participants = new Map<string, Participant>();
  /** Transports made ahead of a participant's join (see prepare), taken by it. */
  private readonly prepared = new Map<string, Promise<[types.WebRtcTransport, types.WebRtcTransport] | null>>();
  private closed = false;

  constructor(
    readonly callId: string,
    readonly router: types.Router,
    private readonly listen: TransportListen,
  ) {
    super();
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.router.rtpCapabilities;
  }

  get participantCount(): number {
    return this.participants.size;
  }

  get isClosed(): boolean {
    return this.closed || this.router.closed;
  }

  /**
   * (Re)joins a participant: fresh send and receive transports, and consumers for everything the others
   * already send. Joining again (after a reload or a lost worker) replaces the previous media objects.
   *
   * `dtls`: the participant's DTLS parameters, known before its transports exist (a browser that made its
   * certificate ahead): both transports are connected with them here, beside the consumers, and described
   * as `connected`. Parameters mediasoup refuses leave them unconnected, for the usual connect request.
   */
  async join(
    participantId: string,
    rtpCapabilities: types.RtpCapabilities,
    dtls?: types.DtlsParameters,
  ): Promise<{ sendTransport: TransportDescription; recvTransport: TransportDescription; consumers: ConsumerDescription[] }> {
    const prepared = this.prepared.get(participantId);
    this.prepared.delete(participantId);
    this.leave(participantId);
    const participant = new Participant(participantId);
    participant.rtpCapabilities = rtpCapabilities;
    this.participants.set(participantId, participant);
    const [send, recv] = (await prepared) ?? (await Promise.all([this.createTransport(), this.createTransport()]));
    if (this.participants.get(participantId) !== participant) {
      send.close();
      recv.close();
      throw new MediaError('not_found', 'participant left while joining');
    }
    participant.sendTransport = send;
    participant.recvTransport = recv;
    // All at once: each is a round trip to the worker, and the newcomer waits for the last.
    const sending = [...this.participants.values()].filter((o) => o !== participant).flatMap((o) => [...o.producers.values()].map((producer) => ({ from: o.id, producer })));
    const connect = (t: types.WebRtcTransport) => (dtls ? t.connect({ dtlsParameters: dtls }).then(() => true, () => false) : Promise.resolve(false));
    const [sendConnected, recvConnected, made] = await Promise.all([
      connect(send),
      connect(recv),
      Promise.all(sending.map(({ from, producer }) => this.consume(participant, from, producer))),
    ]);
    const consumers = made.filter((c): c is ConsumerDescription => !!c);
    return { sendTransport: describeTransport(send, sendConnected), recvTransport: describeTransport(recv, recvConnected), consumers };
  }

  /**
   * Makes a participant's two transports ahead of its join (an admitted visitor's, while they are told),
   * so that the join takes them instead of waiting for the worker. Not taken, they close when the
   * participant leaves or the call ends; a failure here only means the join makes its own.
   */
  prepare(participantId: string): void {
    if (this.isClosed || this.prepared.has(participantId) || this.participants.has(participantId)) return;
    const making = Promise.all([this.createTransport(), this.createTransport()]).catch(() => null);
    this.prepared.set(participantId, making);
  }

  async connectTransport(participantId: string, transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    const transport = this.participant(participantId).transport(transportId);
    if (!transport) throw new MediaError('not_found', 'unknown transport');
    try {
      await transport.connect({ dtlsParameters });
    } catch (error) {
      // Unusable DTLS parameters, or a second connect(): mediasoup refuses them, and it is the caller's fault.
      throw callerFault(error);
    }
  }

  async produce(
    participantId: string,
    transportId: string,
    kind: types.MediaKind,
    rtpParameters: types.RtpParameters,
    source: MediaSource,
  ): Promise<string> {
    const participant = this.participant(participantId);
    if (participant.sendTransport?.id !== transportId) throw new MediaError('not_found', 'unknown transport');
    // One track of each source at a time: a second camera or screen would be a second tile nobody asked for.
    // The source is taken before the await, so requests sent at once cannot all pass the check.
    if (participant.producing.has(source) || [...participant.producers.values()].some((p) => p.appData.source === source)) {
      throw new MediaError('bad_request', `already sending ${source}`);
    }
    let producer: types.Producer<{ source: MediaSource }>;
    participant.producing.add(source);
    try {
      producer = await participant.sendTransport.produce({ kind, rtpParameters, appData: { source } });
    } catch (error) {
      // mediasoup rejects parameters it cannot use (unknown codec, duplicate SSRC...): the caller's fault.
      throw callerFault(error);
    } finally {
      participant.producing.delete(source);
    }
    participant.producers.set(producer.id, producer);
    producer.observer.once('close', () => participant.producers.delete(producer.id));
    for (const other of this.participants.values()) {
      if (other === participant) continue;
      const consumer = await this.consume(other, participant.id, producer);
      if (consumer) this.emit('consumer-added', other.id, consumer);
    }
    return producer.id;
  }

  async resumeConsumer(participantId: string, consumerId: string): Promise<void> {
    const participant = this.participant(participantId);
    const consumer = participant.consumers.get(consumerId);
    if (!consumer) throw new MediaError('not_found', 'unknown consumer');
    // On a sound-only connection, a new camera stays paused until video is wanted again.
    if (!participant.receivesCameraVideo && isCameraVideo(consumer)) return;
    await consumer.resume();
  }

  /**
   * Stops or restarts sending camera video to a participant whose connection cannot carry it (sound and
   * shared screens go on). Answers whether anything changed.
   */
  async setCameraVideoReceiving(participantId: string, on: boolean): Promise<boolean> {
    const participant = this.participant(participantId);
    if (participant.receivesCameraVideo === on) return false;
    participant.receivesCameraVideo = on;
    for (const consumer of participant.consumers.values()) {
      if (!isCameraVideo(consumer)) continue;
      if (on) await consumer.resume();
      else await consumer.pause();
    }
    return true;
  }

  async setProducerPaused(participantId: string, producerId: string, paused: boolean): Promise<void> {
    const producer = this.participant(participantId).producers.get(producerId);
    if (!producer) throw new MediaError('not_found', 'unknown producer');
    if (paused) await producer.pause();
    else await producer.resume();
  }

  /** Stops one of a participant's producers for good; the others' consumers of it close. Answers its source. */
  closeProducer(participantId: string, producerId: string): MediaSource {
    const producer = this.participant(participantId).producers.get(producerId);
    if (!producer) throw new MediaError('not_found', 'unknown producer');
    producer.close();
    return producer.appData.source;
  }

  /** Whether the SFU holds back a consumer from its participant (paused by them or for sound only); undefined if unknown. */
  consumerPaused(participantId: string, consumerId: string): boolean | undefined {
    return this.participants.get(participantId)?.consumers.get(consumerId)?.paused;
  }

  /** What a participant's producer carries (microphone, camera), or undefined if unknown. */
  sourceOf(participantId: string, producerId: string): MediaSource | undefined {
    return this.participants.get(participantId)?.producers.get(producerId)?.appData.source;
  }

  leave(participantId: string): void {
    const prepared = this.prepared.get(participantId);
    if (prepared) {
      this.prepared.delete(participantId);
      closeWhenMade(prepared);
    }
    const participant = this.participants.get(participantId);
    if (!participant) return;
    this.participants.delete(participantId);
    participant.closeMedia();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const participant of this.participants.values()) participant.closeMedia();
    this.participants.clear();
    // Prepared transports not yet made close with the router when they are.
    for (const pair of this.prepared.values()) closeWhenMade(pair);
    this.prepared.clear();
    this.router.close();
  }

  private participant(participantId: string): Participant {
    const participant = this.participants.get(participantId);
    if (!participant) throw new MediaError('not_found', 'not joined');
    return participant;
  }

  private async createTransport(): Promise<types.WebRtcTransport> {
    return this.router.createWebRtcTransport({
      ...this.listen,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_000_000,
    });
  }

  /** Consumers start paused: the browser resumes once its side exists, so the first key frame is not lost. */
  private async consume(
    participant: Participant,
    producerParticipantId: string,
    producer: types.Producer<{ source: MediaSource }>,
  ): Promise<ConsumerDescription | undefined> {
    const transport = participant.recvTransport;
    const caps = participant.rtpCapabilities;
    if (!transport || !caps || !this.router.canConsume({ producerId: producer.id, rtpCapabilities: caps })) return undefined;
    const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: caps, paused: true, appData: { source: producer.appData.source } });
    participant.consumers.set(consumer.id, consumer);
    const forget = () => {
      if (participant.consumers.delete(consumer.id)) this.emit('consumer-closed', participant.id, consumer.id);
    };
    consumer.on('producerclose', forget);
    consumer.on('transportclose', () => participant.consumers.delete(consumer.id));
    consumer.on('producerpause', () => this.emit('consumer-paused', participant.id, consumer.id, true));
    consumer.on('producerresume', () => this.emit('consumer-paused', participant.id, consumer.id, false));
    return {
      consumerId: consumer.id,
      producerId: producer.id,
      producerParticipantId,
      kind: consumer.kind,
      source: producer.appData.source,
      rtpParameters: browserRtpParameters(consumer.rtpParameters),
      producerPaused: consumer.producerPaused,
    };
  }
}

const isCameraVideo = (consumer: types.Consumer) => consumer.kind === 'video' && (consumer.appData as { source?: MediaSource }).source === 'camera';

/**
 * mediasoup answers a refused request with TypeError/Error; a closed worker or transport (our side's
 * trouble, e.g. a worker that just died) with InvalidStateError, which stays an internal error.
 */
function callerFault(error: unknown): Error {
  if (error instanceof Error && error.name === 'InvalidStateError') return error;
  return new MediaError('bad_request', error instanceof Error ? error.message : String(error));
}

/** Prepared transports nobody will take: closed once made (or at once, if they are). */
function closeWhenMade(pair: Promise<[types.WebRtcTransport, types.WebRtcTransport] | null>): void {
  void pair.then((made) => made?.forEach((t) => t.close()));
}

export function describeTransport(t: types.WebRtcTransport, connected?: boolean): TransportDescription {
  return {
    id: t.id,
    iceParameters: t.iceParameters,
    iceCandidates: browserIceCandidates(t.iceCandidates),
    dtlsParameters: browserDtlsParameters(t.dtlsParameters),
    ...(connected ? { connected: true } : {}),
  };
}
