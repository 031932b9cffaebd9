import type { LocalMedia } from '../../../client/src/call-engine/local-media.ts';
import { DeviceCheck } from '../../../client/src/check/DeviceCheck.tsx';
import { t } from '../strings.ts';

/**
 * The professional's own camera and microphone while someone is waiting: a last look before admitting,
 * and the same tracks go into the call, so the visitor sees the professional the moment they are admitted.
 */
export function SelfPreview({ media }: { media: LocalMedia }) {
  return (
    <section class="self-preview" aria-labelledby="self-preview-heading">
      <h2 id="self-preview-heading">{t('preview.heading')}</h2>
      <p class="muted">{t('preview.help')}</p>
      <DeviceCheck media={media} t={t} />
    </section>
  );
}
