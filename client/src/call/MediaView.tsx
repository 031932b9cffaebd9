import { useEffect, useRef } from 'preact/hooks';
import { mark } from '../call-engine/marks.ts';

/**
 * A <video> showing a MediaStream. Our own preview is muted (no echo); a remote one plays its sound, so
 * the element must not be muted or the browser plays no audio at all.
 */
export function MediaView({ stream, muted, label, mirrored, version }: { stream: MediaStream; muted: boolean; label: string; mirrored?: boolean; version?: number }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    if (video.srcObject !== stream) {
      video.srcObject = stream;
      if (!muted) mark('remote-media-shown');
    }
    void video.play().catch(() => undefined);
  }, [stream, version]);
  return <video ref={ref} class={mirrored ? 'media mirrored' : 'media'} autoplay playsInline muted={muted} aria-label={label} />;
}
