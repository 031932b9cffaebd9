import { useEffect, useState } from 'preact/hooks';
import type { LocalMedia } from '../call-engine/local-media.ts';
import { startLevelMeter } from '../call-engine/level-meter.ts';
import type { Translate } from '../call/call-strings.ts';
import { MediaView } from '../call/MediaView.tsx';
import { DevicePicker } from './DevicePicker.tsx';
import { SpeakerTest } from './SpeakerTest.tsx';

/** Camera preview, microphone level, device choice and a speaker test, with a plain explanation of any device problem. */
export function DeviceCheck({ media, t, showPicker = true }: { media: LocalMedia; t: Translate; showPicker?: boolean }) {
  const [level, setLevel] = useState(0);
  const [version, setVersion] = useState(0);
  useEffect(() => media.onTrackChange(() => setVersion((v) => v + 1)), [media]);
  useEffect(() => {
    const track = media.audioTrack;
    return track ? startLevelMeter(track, setLevel) : undefined;
  }, [media, version]);

  const problems = [
    media.cameraProblem && t(media.cameraProblem === 'denied' ? 'devices.cameraDenied' : media.cameraProblem === 'not_found' ? 'devices.cameraMissing' : 'devices.cameraFailed'),
    media.microphoneProblem &&
      t(media.microphoneProblem === 'denied' ? 'devices.microphoneDenied' : media.microphoneProblem === 'not_found' ? 'devices.microphoneMissing' : 'devices.microphoneFailed'),
  ].filter(Boolean);

  return (
    <section class="device-check">
      <div class="preview">
        {media.videoTrack ? <MediaView stream={media.stream} muted mirrored label={t('devices.preview')} version={version} /> : <div class="no-video" aria-hidden="true" />}
      </div>
      <label class="level">
        <span>{t('devices.level')}</span>
        <meter min={0} max={1} value={level} />
      </label>
      {problems.map((p) => (
        <p class="notice" role="alert" key={p}>
          {p}
        </p>
      ))}
      {showPicker && <DevicePicker media={media} t={t} />}
      <SpeakerTest t={t} />
    </section>
  );
}
