import type { types } from 'mediasoup';
import type { MediaSource } from './media-source.ts';

/** One participant's media objects inside a call router. Owned and closed by CallRouter. */
export class Participant {
  sendTransport?: types.WebRtcTransport;
  recvTransport?: types.WebRtcTransport;
  rtpCapabilities?: types.RtpCapabilities;
  readonly producers = new Map<string, types.Producer<{ source: MediaSource }>>();
  /** Sources whose producer is being created (see CallRouter.produce). */
  readonly producing = new Set<MediaSource>();
  readonly consumers = new Map<string, types.Consumer>();
  /** False while this participant's connection carries sound only: camera video to it stays paused. */
  receivesCameraVideo = true;

  constructor(readonly id: string) {}

  transport(transportId: string): types.WebRtcTransport | undefined {
    if (this.sendTransport?.id === transportId) return this.sendTransport;
    if (this.recvTransport?.id === transportId) return this.recvTransport;
    return undefined;
  }

  /** Closing the transports closes their producers and consumers too (mediasoup cascades). */
  closeMedia(): void {
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = undefined;
    this.recvTransport = undefined;
    this.producers.clear();
    this.consumers.clear();
  }
}
