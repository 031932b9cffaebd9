import { useState } from 'preact/hooks';
import type { Translate } from '../call/call-strings.ts';

/** A short two-note chime through the speakers, so the visitor knows they will hear the other side. */
export function SpeakerTest({ t }: { t: Translate }) {
  const [played, setPlayed] = useState(false);
  const play = () => {
    const context = new AudioContext();
    const gain = context.createGain();
    gain.connect(context.destination);
    [660, 880].forEach((frequency, i) => {
      const tone = context.createOscillator();
      tone.frequency.value = frequency;
      tone.connect(gain);
      const start = context.currentTime + i * 0.35;
      gain.gain.setValueAtTime(0.2, start);
      tone.start(start);
      tone.stop(start + 0.3);
    });
    setTimeout(() => void context.close(), 1200);
    setPlayed(true);
  };
  return (
    <div class="speaker-test">
      <button type="button" class="secondary" onClick={play}>
        {t('devices.speakerTest')}
      </button>
      {played && <p class="hint">{t('devices.speakerHelp')}</p>}
    </div>
  );
}
