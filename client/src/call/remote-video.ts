import type { CallSnapshot } from '../call-engine/call-snapshot.ts';

/*
 * The <video> elements that show the other participants, one per participant's stream, made as soon as
 * the stream exists rather than when the call screen renders. A new element takes 40-100 ms from its
 * srcObject to its first frame on screen (its player starts, then waits for the next decoded frame).
 * Where the call screen's first render is held back while the call's media is set up (render-hold.ts),
 * that wait came after the render: bench:admit saw the professional's first key frame reach the visitor's
 * page and stay unseen until the element was made and started. Made early, the element plays off screen
 * and the call screen shows its frame at its first paint. Making one costs the page next to nothing.
 */

const elements = new Map<MediaStream, HTMLVideoElement>();

/** The element that shows `stream` (a remote participant's camera and microphone), playing. */
export function remoteVideoFor(stream: MediaStream): HTMLVideoElement {
  let video = elements.get(stream);
  if (!video) {
    video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.srcObject = stream;
    elements.set(stream, video);
  }
  void video.play().catch(() => undefined);
  return video;
}

/** The participant's tile is gone: their element stops and is let go. */
export function releaseRemoteVideo(stream: MediaStream): void {
  const video = elements.get(stream);
  if (!video) return;
  elements.delete(stream);
  video.pause();
  video.srcObject = null;
  video.remove();
}

/**
 * Makes each remote participant's element as the call learns of them, until the call ends (when those
 * never shown are let go). For a call whose screen renders later than its media is set up.
 */
export function prepareRemoteVideos(call: { subscribe(listener: (s: CallSnapshot) => void): () => void }): void {
  const made = new Set<MediaStream>();
  let stop: (() => void) | undefined;
  let ended = false;
  stop = call.subscribe((s) => {
    if (ended) return;
    if (s.status === 'ended') {
      ended = true;
      stop?.();
      for (const stream of made) if (!elements.get(stream)?.isConnected) releaseRemoteVideo(stream);
      return;
    }
    for (const remote of s.remotes) {
      if (made.has(remote.stream)) continue;
      made.add(remote.stream);
      remoteVideoFor(remote.stream);
    }
  });
  if (ended) stop();
}
