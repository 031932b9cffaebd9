import { useEffect, useRef, useState } from 'preact/hooks';
import { io, type Socket } from 'socket.io-client';
import {
  EMBED_NAMESPACE,
  type EmbeddedProfessionalClientEvents,
  type EmbeddedProfessionalServerEvents,
  type ProfessionalLinkRedeemed,
  type WaitingVisitor,
} from '../../../signaling/protocol/index.ts';
import { CallEngine, preloadDevice } from '../../../client/src/call-engine/call-engine.ts';
import { LocalMedia } from '../../../client/src/call-engine/local-media.ts';
import { RECONNECTION } from '../../../client/src/call-engine/reconnection.ts';
import { request } from '../../../client/src/call-engine/request.ts';
import { CallView } from '../../../client/src/call/CallView.tsx';
import { savedDevicePreference } from '../../../client/src/check/DevicePicker.tsx';
import type { EmbedStage } from '../../../client/src/embed/use-embed-progress.ts';
import { LanguageSwitch } from '../../../client/src/i18n/LanguageSwitch.tsx';
import { i18n, t } from '../strings.ts';
import { VerifiedIdentity } from '../queue/VerifiedIdentity.tsx';

type EmbeddedSocket = Socket<EmbeddedProfessionalServerEvents, EmbeddedProfessionalClientEvents>;

/**
 * One consultation opened from the records system (in its iframe or at the top level): its visitor when
 * they arrive, Admit, the call, and nothing else (the session can see no other visitor; the server holds it to that). Authenticated
 * by the bearer token in memory, sent in the socket's `auth` payload: no cookie is needed, so it works
 * where the browser blocks third-party cookies. A reload loses it on purpose: open the link again. The
 * session ends with the consultation (the call's end, or its cancelling).
 */
export function EmbeddedConsultation({
  opened,
  onProgress,
}: {
  opened: ProfessionalLinkRedeemed;
  onProgress: (p: { stage: EmbedStage; hangUp?: () => void }) => void;
}) {
  const [socket] = useState<EmbeddedSocket>(() => io(EMBED_NAMESPACE, { auth: { token: opened.embedToken }, transports: ['websocket', 'polling'], ...RECONNECTION }));
  const [visitor, setVisitor] = useState<WaitingVisitor | null>(null);
  // The visitor's verified identity as their card had it, kept for the call screen (their card goes on admission).
  const [identity, setIdentity] = useState<WaitingVisitor['identity']>(undefined);
  useEffect(() => {
    if (visitor?.identity) setIdentity(visitor.identity);
  }, [visitor]);
  const revealNationalId = async () => (await request(socket, 'consultation:identity', {})).nationalId;
  const [call, setCall] = useState<{ engine: CallEngine; media: LocalMedia } | null>(null);
  const [ended, setEnded] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const admitting = useRef(false);
  const endedRef = useRef(false);

  useEffect(() => {
    socket.on('connect', () => {
      void request(socket, 'consultation:status', {}).then(({ visitor: v }) => setVisitor(v), () => undefined);
    });
    socket.on('consultation:visitor', setVisitor);
    // At the call's end the session ends too; the view says the call ended, which is the news.
    socket.on('session:ended', () => endedRef.current || setNotice(t('embed.sessionEnded')));
    socket.on('connect_error', (err) => {
      if (err.message === 'unauthorized') {
        socket.disconnect();
        setNotice(t('embed.sessionEnded'));
      }
    });
    void preloadDevice().catch(() => undefined);
    return () => {
      socket.disconnect();
    };
  }, [socket]);

  useEffect(() => {
    const stage: EmbedStage = ended ? 'ended' : call ? 'call' : visitor ? 'waiting' : 'before';
    onProgress({ stage, hangUp: call && !ended ? () => void call.engine.hangUp() : undefined });
  }, [visitor, call, ended]);

  const admit = async () => {
    if (admitting.current) return;
    admitting.current = true;
    setNotice(null);
    // Camera and admission in parallel: the visitor should see us as soon as the call exists.
    const opening = LocalMedia.open(savedDevicePreference());
    try {
      const { callId } = await request(socket, 'consultation:admit', {});
      const engine = new CallEngine(socket, callId, opening);
      const media = await opening;
      engine.subscribe((snapshot) => {
        if (snapshot.status !== 'ended') return;
        endedRef.current = true;
        setEnded(true);
        media.stop();
      });
      void engine.start().catch(() => undefined);
      setCall({ engine, media });
    } catch {
      (await opening.catch(() => null))?.stop();
      setNotice(t('embed.admitFailed'));
    } finally {
      admitting.current = false;
    }
  };

  return (
    <div class="page">
      <header class="topbar">
        <span class="brand">{`${opened.organizationName} · ${opened.professionalName}`}</span>
        <LanguageSwitch i18n={i18n} label={t('app.language')} />
      </header>
      <main>
        {notice && (
          <p class="notice" role="alert">
            {notice}
          </p>
        )}
        {ended ? (
          <section>
            <h1>{t('call.ended')}</h1>
          </section>
        ) : call ? (
          <>
            {identity && <VerifiedIdentity identity={identity} reveal={revealNationalId} />}
            <CallView engine={call.engine} media={call.media} t={t} hangUpLabel={t('call.endForAll')} />
          </>
        ) : (
          <section>
            <h1>{t('embed.heading')}</h1>
            {visitor ? (
              <div class="visitor-card">
                <p>{t('embed.visitorWaiting', { name: visitor.name })}</p>
                {visitor.identity && (
                  <VerifiedIdentity identity={visitor.identity} reveal={revealNationalId} />
                )}
                <button type="button" onClick={() => void admit()}>
                  {t('embed.admit')}
                </button>
              </div>
            ) : (
              <p role="status">{t('embed.noVisitorYet')}</p>
            )}
          </section>
        )}
      </main>
    </div>
  );
}
