import type { Translate } from '../call/call-strings.ts';
import type { LocalMedia } from '../call-engine/local-media.ts';
import { browserName } from './browser-support.ts';
import type { DeviceCheckReport } from '../../../signaling/protocol/index.ts';

/** What the device check found, as it goes with the check-in (no device labels: they can hold names). */
export function deviceCheckReport(media: LocalMedia, networkCheckId: string | undefined): DeviceCheckReport {
  return { browser: browserName(), camera: !!media.videoTrack, microphone: !!media.audioTrack, ...(networkCheckId ? { networkCheckId } : {}) };
}

export function CheckSummary({ media, t, shared }: { media: LocalMedia; t: Translate; shared: boolean }) {
  const report = deviceCheckReport(media, undefined);
  return (
    <section class="check-summary" aria-labelledby="check-summary-heading">
      <h2 id="check-summary-heading">{t('check.summary')}</h2>
      <ul>
        <li>{t('check.browser', { name: report.browser })}</li>
        <li data-found={report.camera}>{t(report.camera ? 'check.cameraFound' : 'check.cameraNotFound')}</li>
        <li data-found={report.microphone}>{t(report.microphone ? 'check.microphoneFound' : 'check.microphoneNotFound')}</li>
      </ul>
      {shared && <p class="hint">{t('check.shared')}</p>}
    </section>
  );
}
