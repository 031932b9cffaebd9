import { useEffect, useState } from 'preact/hooks';
import type { CallEngine } from '../../../client/src/call-engine/call-engine.ts';
import type { LocalMedia } from '../../../client/src/call-engine/local-media.ts';
import { CallView } from '../../../client/src/call/CallView.tsx';
import { t } from '../strings.ts';
import type { PeerInfo } from '../../../signaling/protocol/index.ts';
import { request } from '../../../client/src/call-engine/request.ts';
import type { ProfessionalSocket } from '../pro-socket.ts';

export function ProfessionalCall({ engine, media, socket, onClose }: { engine: CallEngine; media: LocalMedia; socket: ProfessionalSocket; onClose: () => void }) {
  const [ended, setEnded] = useState(false);
  const [visitors, setVisitors] = useState<PeerInfo[]>([]);
  const [sentBack, setSentBack] = useState<string | null>(null);
  useEffect(
    () =>
      engine.subscribe((s) => {
        setEnded(s.status === 'ended');
        setVisitors(s.remotes.map((r) => r.peer).filter((p) => p.role === 'visitor'));
      }),
    [engine],
  );
  const sendBack = async (peer: PeerInfo) => {
    await request(socket, 'call:send-back', { callId: engine.callId });
    setSentBack(peer.name);
  };
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
  return (
    <>
      {sentBack && (
        <p class="notice" role="status">
          {t('call.sentBack', { name: sentBack })}
        </p>
      )}
      {visitors.length > 0 && (
        <div class="call-actions">
          {visitors.map((v) => (
            <button key={v.id} type="button" class="secondary" onClick={() => void sendBack(v).catch(() => undefined)}>
              {t('call.sendBack', { name: v.name })}
            </button>
          ))}
        </div>
      )}
      <CallView engine={engine} media={media} t={t} />
    </>
  );
}
