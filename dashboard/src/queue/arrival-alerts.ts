import { useEffect, useRef, useState } from 'preact/hooks';
import type { WaitingVisitor } from '../../../signaling/protocol/index.ts';
import { t } from '../strings.ts';

const SOUND_KEY = 'consult.dashboard.arrivalSound';

/** Whether this device plays the arrival sound (on unless the professional turned it off here). */
export function useArrivalSound(): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(() => localStorage.getItem(SOUND_KEY) !== 'off');
  return [
    on,
    (value) => {
      localStorage.setItem(SOUND_KEY, value ? 'on' : 'off');
      setOn(value);
    },
  ];
}

let audio: AudioContext | undefined;

// Browsers start audio only after the page has been used: the first click or key press unlocks it, so a
// knock after a reload plays as soon as the professional has touched the dashboard once.
if (typeof document !== 'undefined') {
  const unlock = () => {
    audio ??= new AudioContext();
    void audio.resume();
  };
  document.addEventListener('pointerdown', unlock, { once: true, capture: true });
  document.addEventListener('keydown', unlock, { once: true, capture: true });
}

/** A short two-note knock, made on the spot (no file to fetch). */
export function playKnock(): void {
  audio ??= new AudioContext();
  void audio.resume();
  const start = audio.currentTime + 0.02;
  for (const [offset, hz] of [
    [0, 660],
    [0.18, 880],
  ] as const) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.16);
    osc.connect(gain).connect(audio.destination);
    osc.start(start + offset);
    osc.stop(start + offset + 0.18);
  }
}

/** The browser's permission for OS notifications, and a way to ask for it (needs a click). */
export function useNotificationPermission(): [NotificationPermission | 'unsupported', () => void] {
  const supported = typeof Notification !== 'undefined';
  const [permission, setPermission] = useState<NotificationPermission | 'unsupported'>(supported ? Notification.permission : 'unsupported');
  return [permission, () => supported && void Notification.requestPermission().then(setPermission)];
}

/**
 * What a professional is told when someone arrives: the knock (if on for this device), and an OS
 * notification while the tab is hidden. The notification names the room, not the visitor (a lock screen
 * or a shared screen may show it); clicking it brings the dashboard forward on that visitor.
 */
export function useArrivalAlerts(soundOn: boolean, onOpen: (visitorId: string) => void): (v: WaitingVisitor) => void {
  const latest = useRef({ soundOn, onOpen });
  latest.current = { soundOn, onOpen };
  return useRef((v: WaitingVisitor) => {
    if (latest.current.soundOn) playKnock();
    if (document.visibilityState === 'hidden' && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
      const n = new Notification(t('alerts.notificationTitle'), { body: t('alerts.notificationBody', { room: v.roomName }), tag: `arrival-${v.visitorId}` });
      n.onclick = () => {
        window.focus();
        latest.current.onOpen(v.visitorId);
        n.close();
      };
    }
  }).current;
}

/** "(2) Waiting room · Dashboard": the count in the tab's title, so it shows from any other tab. */
export function useTitleCount(count: number, loggedIn: boolean): void {
  useEffect(() => {
    const base = loggedIn ? `${t('queue.heading')} · ${t('app.title')}` : t('app.title');
    document.title = count > 0 ? `(${count}) ${base}` : base;
  }, [count, loggedIn]);
}
