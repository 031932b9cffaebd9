import type { DeviceCheckDetails } from '../../../signaling/protocol/index.ts';
import { t } from '../strings.ts';

/**
 * What the visitor's device check found, on their queue card: a missing camera or microphone and a poor
 * network stand out, so the professional knows before admitting (and can suggest sound only, or a call).
 */
export function DeviceCheckSummary({ check }: { check: DeviceCheckDetails }) {
  const network = check.network;
  return (
    <ul class="device-check-summary" aria-label={t('queue.device.label')}>
      {!check.camera && <li class="warning">{t('queue.device.noCamera')}</li>}
      {!check.microphone && <li class="warning">{t('queue.device.noMicrophone')}</li>}
      {network ? (
        <li class={network.rating === 'good' ? undefined : 'warning'} data-rating={network.rating}>
          {t(`queue.device.network.${network.rating}`)}{' '}
          <span class="muted">
            ({t('queue.device.figures', { rtt: network.rttMs === null ? '–' : `${network.rttMs} ms`, loss: network.lossPercent.toFixed(1), kbps: network.bitrateKbps })})
          </span>
        </li>
      ) : (
        <li class="muted">{t('queue.device.networkNotTested')}</li>
      )}
      <li class="muted">{check.browser}</li>
    </ul>
  );
}
