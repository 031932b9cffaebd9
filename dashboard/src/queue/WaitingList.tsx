import { useEffect, useState } from 'preact/hooks';
import type { WaitingVisitor } from '../../../signaling/protocol/index.ts';
import { request, RequestError } from '../../../client/src/call-engine/request.ts';
import type { ProfessionalSocket } from '../pro-socket.ts';
import { locale, t } from '../strings.ts';

/** Everyone waiting in the organization's rooms, live, oldest first. */
export function WaitingList({ socket, onAdmit, onCountChange }: {
  socket: ProfessionalSocket;
  onAdmit: (visitor: WaitingVisitor) => Promise<void>;
  onCountChange?: (n: number) => void;
}) {
  const [visitors, setVisitors] = useState<WaitingVisitor[]>([]);
  useEffect(() => onCountChange?.(visitors.length), [visitors.length, onCountChange]);
  const [online, setOnline] = useState(socket.connected);
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const load = () => {
      setOnline(true);
      void request(socket, 'queue:list', {}).then(({ visitors }) => setVisitors(visitors), () => undefined);
    };
    const arrived = (v: WaitingVisitor) => setVisitors((list) => [...list.filter((x) => x.visitorId !== v.visitorId), v].sort((a, b) => a.arrivedAt - b.arrivedAt));
    const removed = ({ visitorId }: { visitorId: string }) => setVisitors((list) => list.filter((x) => x.visitorId !== visitorId));
    const offline = () => setOnline(false);
    if (socket.connected) load();
    socket.on('connect', load);
    socket.on('disconnect', offline);
    socket.on('queue:arrived', arrived);
    socket.on('queue:removed', removed);
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => {
      socket.off('connect', load);
      socket.off('disconnect', offline);
      socket.off('queue:arrived', arrived);
      socket.off('queue:removed', removed);
      clearInterval(timer);
    };
  }, [socket]);

  const admit = async (v: WaitingVisitor) => {
    setError(null);
    try {
      await onAdmit(v);
    } catch (err) {
      const gone = err instanceof RequestError && (err.code === 'not_waiting' || err.code === 'not_found');
      if (gone) setVisitors((list) => list.filter((x) => x.visitorId !== v.visitorId));
      setError(gone ? t('queue.notWaiting') : t('queue.admitFailed'));
    }
  };

  return (
    <section aria-labelledby="queue-heading">
      <h1 id="queue-heading">
        {t('queue.heading')} <span class="muted">({t('queue.count', { n: visitors.length })})</span>
      </h1>
      {!online && <p class="notice" role="status">{t('queue.offline')}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {visitors.length === 0 ? (
        <p class="muted">{t('queue.empty')}</p>
      ) : (
        <ul class="queue" aria-live="polite">
          {visitors.map((v) => (
            <li key={v.visitorId} data-visitor-id={v.visitorId}>
              <div>
                <strong>{v.name}</strong>
                <div class="muted">
                  {v.roomName} · {t('queue.arrived', { time: new Date(v.arrivedAt).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' }) })} ·{' '}
                  {t('queue.waitingFor', { n: Math.max(0, Math.floor((now - v.arrivedAt) / 60_000)) })}
                </div>
              </div>
              <button type="button" aria-label={t('queue.admitName', { name: v.name })} onClick={() => void admit(v)}>
                {t('queue.admit')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
