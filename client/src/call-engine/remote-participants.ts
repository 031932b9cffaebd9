import type { types } from 'mediasoup-client';
import type { ConsumerInfo, PeerInfo } from '../../../signaling/protocol/index.ts';

export interface RemoteParticipant {
  peer: PeerInfo;
  /** One stream with whatever of the participant's audio and video is being received. */
  stream: MediaStream;
  /** What they share of their screen, while they do. */
  screen: MediaStream | null;
  audioMuted: boolean;
  videoOff: boolean;
}

interface Consumed {
  consumer: types.Consumer;
  peerId: string;
  source: ConsumerInfo['source'];
}

/**
 * Everyone else in the call as this browser sees them: who they are (from the moment they join, before
 * any media), and which received tracks show them (camera and microphone in one stream, a screen apart).
 */
export class RemoteParticipants {
  private readonly remotes = new Map<string, RemoteParticipant>();
  private readonly consumed = new Map<string, Consumed>();

  list(): RemoteParticipant[] {
    return [...this.remotes.values()];
  }

  /** The participant, known from now on (their tiles and name show before any media). */
  joined(peer: PeerInfo): RemoteParticipant {
    let remote = this.remotes.get(peer.id);
    if (!remote) {
      remote = { peer, stream: new MediaStream(), screen: null, audioMuted: false, videoOff: false };
      this.remotes.set(peer.id, remote);
    }
    return remote;
  }

  left(peerId: string): void {
    const remote = this.remotes.get(peerId);
    if (remote) for (const t of remote.stream.getTracks()) remote.stream.removeTrack(t);
    this.remotes.delete(peerId);
  }

  /** A consumer was set up for one of their tracks: it takes the place of any earlier one of its kind. */
  received(info: ConsumerInfo, consumer: types.Consumer): void {
    const remote = this.joined(info.peer);
    this.consumed.set(consumer.id, { consumer, peerId: info.peer.id, source: info.source });
    if (info.source === 'screen') {
      remote.screen = new MediaStream([consumer.track]);
      return;
    }
    for (const old of info.kind === 'audio' ? remote.stream.getAudioTracks() : remote.stream.getVideoTracks()) remote.stream.removeTrack(old);
    remote.stream.addTrack(consumer.track);
    if (info.kind === 'audio') remote.audioMuted = info.producerPaused;
    else remote.videoOff = info.producerPaused;
  }

  /** They muted or turned the camera off (or back on). Answers whether anything shown changed. */
  paused(consumerId: string, paused: boolean): boolean {
    const c = this.consumed.get(consumerId);
    const remote = c && this.remotes.get(c.peerId);
    if (!c || !remote || c.source === 'screen') return false;
    if (c.consumer.kind === 'audio') remote.audioMuted = paused;
    else remote.videoOff = paused;
    return true;
  }

  /** The track's sender stopped it for good (or left). Answers whether it was one of ours. */
  closed(consumerId: string): boolean {
    const c = this.consumed.get(consumerId);
    if (!c) return false;
    this.consumed.delete(consumerId);
    c.consumer.close();
    const remote = this.remotes.get(c.peerId);
    if (remote && c.source === 'screen') remote.screen = null;
    else if (remote) {
      remote.stream.removeTrack(c.consumer.track);
      if (c.consumer.kind === 'audio') remote.audioMuted = true;
      else remote.videoOff = true;
    }
    return true;
  }

  /** Our receiving went away (a rejoin): the people stay, their tracks go until received again. */
  clearMedia(): void {
    for (const { consumer } of this.consumed.values()) consumer.close();
    this.consumed.clear();
    for (const r of this.remotes.values()) {
      for (const t of r.stream.getTracks()) r.stream.removeTrack(t);
      r.screen = null;
    }
  }
}
