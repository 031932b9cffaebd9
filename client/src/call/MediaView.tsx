import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import { mark } from '../call-engine/marks.ts';
import { releaseRemoteVideo, remoteVideoFor } from './remote-video.ts';

/**
 * A <video> showing a MediaStream. Our own preview is muted (no echo); a remote one plays its sound, so
 * the element must not be muted or the browser plays no audio at all. A remote one is the element made
 * for its stream (remote-video.ts), often before this renders and already playing: it goes in here.
 */
export function MediaView({ stream, muted, label, mirrored, version }: { stream: MediaStream; muted: boolean; label: string; mirrored?: boolean; version?: number }) {
  return muted ? <MutedView stream={stream} label={label} mirrored={mirrored} version={version} /> : <RemoteView stream={stream} label={label} version={version} />;
}

/** Our own camera, or a shared screen: nothing to hear. */
function MutedView({ stream, label, mirrored, version }: { stream: MediaStream; label: string; mirrored?: boolean; version?: number }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    if (video.srcObject !== stream) video.srcObject = stream;
    void video.play().catch(() => undefined);
  }, [stream, version]);
  return <video ref={ref} class={mirrored ? 'media mirrored' : 'media'} autoplay playsInline muted aria-label={label} />;
}

/** Another participant's camera and microphone. */
function RemoteView({ stream, label, version }: { stream: MediaStream; label: string; version?: number }) {
  const slot = useRef<HTMLSpanElement>(null);
  // Before the browser paints what was rendered (an effect would run after it): the video is in the call
  // screen's first paint, not one frame later.
  useLayoutEffect(() => {
    const video = remoteVideoFor(stream);
    slot.current?.append(video);
    mark('remote-media-shown');
    return () => releaseRemoteVideo(stream);
  }, [stream]);
  useLayoutEffect(() => {
    const video = remoteVideoFor(stream);
    video.className = 'media';
    video.setAttribute('aria-label', label);
  }, [stream, label, version]);
  // `display: contents`: the video lays out as the slot's parent's child, as a <video> rendered here would.
  return <span ref={slot} class="media-slot" />;
}
