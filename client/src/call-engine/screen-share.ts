import type { types } from 'mediasoup-client';
import type { CallContext } from './call-socket.ts';
import type { FramePipe } from './frame-pipe.ts';
import { produceSealed } from './sealed-media.ts';

/** A shared screen is mostly still: a few frames a second keep text sharp at a fraction of the bits and CPU. */
const SCREEN_CONSTRAINTS: MediaStreamConstraints = { video: { frameRate: { max: 5 }, width: { max: 1920 }, height: { max: 1080 } }, audio: false };

/** A screen, window or tab this participant shares in the call; it goes on across a rejoin. */
export class ScreenShare {
  /** Whether this participant may share their screen (the organization decides for visitors). */
  allowed = false;
  private screen?: { producer?: types.Producer; track: MediaStreamTrack };

  constructor(
    private readonly call: CallContext,
    private readonly sendTransport: () => types.Transport | undefined,
    private readonly sealing: () => FramePipe | null,
  ) {}

  get sharing(): boolean {
    return !!this.screen;
  }

  /**
   * Shares a screen, window or tab (the browser asks which). It ends with stop(), or when the person stops
   * it from the browser's own bar.
   */
  async start(): Promise<void> {
    if (this.screen || !this.allowed) return;
    const stream = await navigator.mediaDevices.getDisplayMedia(SCREEN_CONSTRAINTS);
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    track.contentHint = 'detail';
    this.screen = { track };
    track.addEventListener('ended', () => void this.stop());
    this.call.changed();
    try {
      await this.produce();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const screen = this.screen;
    if (!screen) return;
    this.screen = undefined;
    screen.track.stop();
    if (screen.producer) {
      screen.producer.close();
      await this.call.ask('media:close-producer', { callId: this.call.callId, producerId: screen.producer.id }).catch(() => undefined);
    }
    this.call.changed();
  }

  /** Sends the share on the current send transport (after a rejoin, on the new one). */
  async produce(): Promise<void> {
    const screen = this.screen;
    const transport = this.sendTransport();
    if (!screen || !transport) return;
    const producer = await produceSealed(transport, this.sealing(), 'video', { track: screen.track, stopTracks: false, appData: { source: 'screen' } });
    if (this.screen === screen) screen.producer = producer;
    else producer.close();
  }

  /** The transports went with their producers; the share itself goes on, to be sent again on a rejoin. */
  transportsClosed(): void {
    if (this.screen) this.screen.producer = undefined;
  }

  close(): void {
    this.screen?.track.stop();
    this.screen = undefined;
  }
}
