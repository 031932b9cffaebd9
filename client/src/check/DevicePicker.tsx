import { useEffect, useState } from 'preact/hooks';
import type { LocalMedia, MediaDevices } from '../call-engine/local-media.ts';
import type { Translate } from '../call/call-strings.ts';

const PREFERENCE_KEY = 'consult.devices';

export function savedDevicePreference(): { cameraId?: string; microphoneId?: string } {
  try {
    return JSON.parse(localStorage.getItem(PREFERENCE_KEY) ?? '{}');
  } catch {
    return {};
  }
}

/** Remembers the camera or microphone chosen (here, or with the call's camera switch) on this device only. */
export function rememberDevice(kind: 'audio' | 'video', deviceId: string): void {
  try {
    localStorage.setItem(PREFERENCE_KEY, JSON.stringify({ ...savedDevicePreference(), [kind === 'audio' ? 'microphoneId' : 'cameraId']: deviceId }));
  } catch {
    // Storage refused (a private window, an EHR's iframe): the choice holds for this visit only.
  }
}

/** Camera and microphone choice; the choice is remembered on this device only. */
export function DevicePicker({ media, t, onChange }: { media: LocalMedia; t: Translate; onChange?: () => void }) {
  const [devices, setDevices] = useState<MediaDevices>({ cameras: [], microphones: [] });
  const [, rerender] = useState(0);
  useEffect(() => {
    const refresh = () => void media.devices().then(setDevices);
    refresh();
    navigator.mediaDevices.addEventListener('devicechange', refresh);
    const off = media.onTrackChange(() => rerender((n) => n + 1));
    return () => {
      navigator.mediaDevices.removeEventListener('devicechange', refresh);
      off();
    };
  }, [media]);

  const choose = async (kind: 'audio' | 'video', deviceId: string) => {
    await media.use(kind, deviceId);
    rememberDevice(kind, deviceId);
    onChange?.();
  };

  const select = (kind: 'audio' | 'video', list: MediaDeviceInfo[], current: string | undefined, label: string) => (
    <label class="field">
      <span>{label}</span>
      <select value={current} disabled={list.length === 0} onChange={(e) => void choose(kind, (e.currentTarget as HTMLSelectElement).value)}>
        {list.length === 0 && <option value="">{t('devices.none')}</option>}
        {list.map((d, i) => (
          <option value={d.deviceId} key={d.deviceId}>
            {d.label || t('devices.unnamed', { n: i + 1 })}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <div class="device-picker">
      {select('video', devices.cameras, media.videoTrack?.getSettings().deviceId, t('devices.camera'))}
      {select('audio', devices.microphones, media.audioTrack?.getSettings().deviceId, t('devices.microphone'))}
    </div>
  );
}
