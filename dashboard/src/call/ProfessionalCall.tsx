import { useEffect, useState } from 'preact/hooks';
import type { CallEngine } from '../../../client/src/call-engine/call-engine.ts';
import type { LocalMedia } from '../../../client/src/call-engine/local-media.ts';
import { CallView } from '../../../client/src/call/CallView.tsx';
import { t } from '../strings.ts';

export function ProfessionalCall({ engine, media, onClose }: { engine: CallEngine; media: LocalMedia; onClose: () => void }) {
  const [ended, setEnded] = useState(false);
  useEffect(() => engine.subscribe((s) => setEnded(s.status === 'ended')), [engine]);
  useEffect(() => {
    if (ended) media.stop();
  }, [ended, media]);
  if (ended) {
    return (
      <section>
        <h1>{t('call.ended')}</h1>
        <button type="button" onClick={onClose}>
          {t('call.back')}
        </button>
      </section>
    );
  }
  return <CallView engine={engine} media={media} t={t} />;
}
