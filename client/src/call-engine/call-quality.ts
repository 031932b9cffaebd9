import type { NetworkRating } from '../../../signaling/protocol/index.ts';
import { AudioOnlyPolicy } from './audio-only.ts';
import type { CallMedia } from './call-media.ts';
import type { CallContext } from './call-socket.ts';
import type { CallQuality } from './call-snapshot.ts';
import { NetworkQuality } from './network-quality.ts';

/** How often a call measures its connection (and tells the others). */
export const QUALITY_INTERVAL_MS = 5_000;

/**
 * How the call's connections are doing: this browser's, measured every few seconds and told to the
 * others (kept as technical data), and theirs as they report it; and sound only while ours cannot carry
 * video.
 */
export class CallQualityWatch {
  private own: NetworkRating | null = null;
  private readonly peers = new Map<string, NetworkRating>();
  private readonly network = new NetworkQuality();
  private readonly audioOnly = new AudioOnlyPolicy();

  constructor(
    private readonly call: CallContext,
    private readonly media: CallMedia,
    /** The camera's track now; none while the camera is off. */
    private readonly cameraTrack: () => MediaStreamTrack | undefined,
  ) {}

  get quality(): CallQuality {
    return { self: this.own, peers: Object.fromEntries(this.peers) };
  }

  get soundOnly(): boolean {
    return this.audioOnly.on;
  }

  peerRated(peerId: string, rating: NetworkRating): void {
    this.peers.set(peerId, rating);
    this.call.changed();
  }

  peerLeft(peerId: string): void {
    this.peers.delete(peerId);
  }

  /** One measurement of this browser's connection (only while connected). */
  async measure(): Promise<void> {
    const { send, recv } = this.media;
    if (!send || !recv) return;
    const reports = await Promise.all([send.getStats(), recv.getStats()]).catch(() => null);
    if (!reports) return;
    const sample = await this.network.sample(reports);
    if (sample.rating !== this.own) {
      this.own = sample.rating;
      this.call.changed();
    }
    await this.call.ask('call:quality', { callId: this.call.callId, ...sample }).catch(() => undefined);
    const audioOnly = this.audioOnly.next(sample.rating);
    if (audioOnly !== null) await this.applyAudioOnly(audioOnly);
  }

  /** Video anyway, whatever the network: for the rest of this call. */
  async wantVideoAnyway(): Promise<void> {
    const change = this.audioOnly.override();
    if (change !== null) await this.applyAudioOnly(change);
  }

  /** Joined again on a connection still too weak for video: sound only from the start. */
  async afterJoin(): Promise<void> {
    if (this.audioOnly.on) await this.applyAudioOnly(true);
  }

  /**
   * Sound only: our camera stops being sent (the others see it off) and the SFU stops sending us the
   * others' cameras. Back to video: both restart, unless the camera was turned off meanwhile.
   */
  private async applyAudioOnly(on: boolean): Promise<void> {
    this.call.changed();
    const camera = this.media.producer('video');
    if (camera && (on || this.cameraTrack())) {
      if (on) camera.pause();
      else camera.resume();
      await this.call.ask('media:set-producer-paused', { callId: this.call.callId, producerId: camera.id, paused: on }).catch(() => undefined);
    }
    await this.call.ask('media:receive-video', { callId: this.call.callId, on: !on }).catch(() => undefined);
  }
}
