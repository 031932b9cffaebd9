import type { types } from 'mediasoup';
import type { TransportDescription, TransportListen } from './call-router.ts';
import { describeTransport } from './call-router.ts';
import { browserRtpParameters } from './browser-types.ts';
import { MediaError } from './media-error.ts';

/** What the SFU measured of a browser's connection during a loopback test. */
export interface LoopbackFigures {
  rttMs: number | null;
  lossPercent: number;
  /** The highest video bitrate (or, without video, any bitrate) received from the browser. */
  bitrateKbps: number;
}

const SAMPLE_MS = 500;

/**
 * A network test for one browser: a router of its own, a send and a receive transport, and each track the
 * browser sends consumed straight back to it. No other party and nothing of any call is ever on it. The
 * SFU samples its own statistics while it runs: the producers' incoming bitrate and loss, the consumers'
 * loss as the browser reports it, and the round trip from the browser's receiver reports.
 */
export class LoopbackTest {
  private readonly producers = new Map<string, types.Producer>();
  private readonly consumers = new Map<string, types.Consumer>();
  private readonly timer: NodeJS.Timeout;
  private readonly rtts: number[] = [];
  private maxVideoKbps = 0;
  private maxAnyKbps = 0;
  private lossUp = 0;
  private lossDown = 0;
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];
  /** Kinds being set up: taken before the await, so parallel requests for one kind make one track. */
  private readonly producing = new Set<types.MediaKind>();

  private constructor(
    private readonly router: types.Router,
    private readonly rtpCapabilities: types.RtpCapabilities,
    readonly sendTransport: types.WebRtcTransport,
    readonly recvTransport: types.WebRtcTransport,
    lifetimeMs: number,
  ) {
    this.timer = setInterval(() => void this.sample().catch(() => undefined), SAMPLE_MS);
    setTimeout(() => this.close(), lifetimeMs).unref();
    router.observer.once('close', () => this.close());
  }

  static async start(router: types.Router, listen: TransportListen, rtpCapabilities: types.RtpCapabilities, lifetimeMs: number): Promise<LoopbackTest> {
    const options = { ...listen, enableUdp: true, enableTcp: true, preferUdp: true, initialAvailableOutgoingBitrate: 1_000_000 };
    try {
      const [send, recv] = await Promise.all([router.createWebRtcTransport(options), router.createWebRtcTransport(options)]);
      return new LoopbackTest(router, rtpCapabilities, send, recv, lifetimeMs);
    } catch (error) {
      router.close();
      throw error;
    }
  }

  get transports(): { sendTransport: TransportDescription; recvTransport: TransportDescription } {
    return { sendTransport: describeTransport(this.sendTransport), recvTransport: describeTransport(this.recvTransport) };
  }

  /** How many tracks the browser sends. */
  get trackCount(): number {
    return this.producers.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    const transport = [this.sendTransport, this.recvTransport].find((t) => t.id === transportId);
    if (!transport || this.closed) throw new MediaError('not_found', 'unknown transport');
    try {
      await transport.connect({ dtlsParameters });
    } catch (error) {
      throw new MediaError('bad_request', (error as Error).message);
    }
  }

  /** One track of each kind; answers the consumer that sends it back. */
  async produce(transportId: string, kind: types.MediaKind, rtpParameters: types.RtpParameters) {
    if (this.closed || transportId !== this.sendTransport.id) throw new MediaError('not_found', 'unknown transport');
    if (this.producing.has(kind) || [...this.producers.values()].some((p) => p.kind === kind)) throw new MediaError('bad_request', `already sending ${kind}`);
    let producer: types.Producer;
    let consumer: types.Consumer;
    this.producing.add(kind);
    try {
      producer = await this.sendTransport.produce({ kind, rtpParameters });
    } catch (error) {
      throw new MediaError('bad_request', (error as Error).message);
    } finally {
      this.producing.delete(kind);
    }
    this.producers.set(producer.id, producer);
    if (!this.router.canConsume({ producerId: producer.id, rtpCapabilities: this.rtpCapabilities })) throw new MediaError('bad_request', 'cannot receive what it sends');
    consumer = await this.recvTransport.consume({ producerId: producer.id, rtpCapabilities: this.rtpCapabilities, paused: true });
    this.consumers.set(consumer.id, consumer);
    return { producerId: producer.id, consumerId: consumer.id, kind: consumer.kind, rtpParameters: browserRtpParameters(consumer.rtpParameters) };
  }

  async resume(consumerId: string): Promise<void> {
    const consumer = this.consumers.get(consumerId);
    if (!consumer || this.closed) throw new MediaError('not_found', 'unknown consumer');
    await consumer.resume();
  }

  /** The figures so far (one last sample first). */
  async figures(): Promise<LoopbackFigures> {
    await this.sample().catch(() => undefined);
    const rtts = [...this.rtts].sort((a, b) => a - b);
    const median = rtts.length ? rtts[Math.floor(rtts.length / 2)]! : null;
    // Lost on the way there or on the way back.
    const loss = 1 - (1 - this.lossUp) * (1 - this.lossDown);
    return {
      rttMs: median === null ? null : Math.round(median),
      lossPercent: Math.round(loss * 1000) / 10,
      bitrateKbps: Math.round(this.maxVideoKbps || this.maxAnyKbps),
    };
  }

  /** Runs `listener` once the test is closed (at once if it is already). */
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.router.close();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private async sample(): Promise<void> {
    if (this.closed) return;
    let upLost = 0;
    let upCount = 0;
    let downLost = 0;
    let downCount = 0;
    for (const producer of this.producers.values()) {
      for (const stat of await producer.getStats()) {
        const kbps = (stat.bitrate ?? 0) / 1000;
        if (producer.kind === 'video') this.maxVideoKbps = Math.max(this.maxVideoKbps, kbps);
        this.maxAnyKbps = Math.max(this.maxAnyKbps, kbps);
        upLost += Math.max(0, stat.packetsLost ?? 0);
        upCount += stat.packetCount ?? 0;
      }
    }
    for (const consumer of this.consumers.values()) {
      for (const stat of await consumer.getStats()) {
        if (stat.type !== 'outbound-rtp') continue;
        if (typeof stat.roundTripTime === 'number' && stat.roundTripTime > 0) this.rtts.push(stat.roundTripTime);
        downLost += Math.max(0, stat.packetsLost ?? 0);
        downCount += stat.packetCount ?? 0;
      }
    }
    if (upCount + upLost > 0) this.lossUp = upLost / (upCount + upLost);
    if (downCount > 0) this.lossDown = Math.min(1, downLost / downCount);
  }
}
