import { useEffect, useState } from 'preact/hooks';
import type { QueueRoom, QueueRemovalReason, WaitingVisitor } from '../../../signaling/protocol/index.ts';
import { request, RequestError } from '../../../client/src/call-engine/request.ts';
import type { ProfessionalSocket } from '../pro-socket.ts';
import { locale, t } from '../strings.ts';

/** How long a visitor someone else admitted stays on the list, marked as taken, before it goes. */
const TAKEN_SHOWN_MS = 5000;

interface Row extends WaitingVisitor {
  /** Admitted by another professional: shown as taken for a moment, no longer admittable. */
  takenBy?: string;
}

const byArrival = (a: WaitingVisitor, b: WaitingVisitor) => a.arrivedAt - b.arrivedAt;

/** Everyone waiting in the rooms this member belongs to (admins: all rooms), live, grouped by room, oldest first. */
export function WaitingList({ socket, onAdmit, onCountChange }: {
  socket: ProfessionalSocket;
  onAdmit: (visitor: WaitingVisitor) => Promise<void>;
  onCountChange?: (n: number) => void;
}) {
  const [rooms, setRooms] = useState<QueueRoom[]>([]);
  const [visitors, setVisitors] = useState<Row[]>([]);
  const waitingCount = visitors.filter((v) => !v.takenBy).length;
  useEffect(() => onCountChange?.(waitingCount), [waitingCount, onCountChange]);
  const [online, setOnline] = useState(socket.connected);
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const load = () => {
      setOnline(true);
      void request(socket, 'queue:list', {}).then(({ rooms, visitors }) => {
        setRooms(rooms);
        setVisitors([...visitors].sort(byArrival));
      }, () => undefined);
    };
    const arrived = (v: WaitingVisitor) => setVisitors((list) => [...list.filter((x) => x.visitorId !== v.visitorId), v].sort(byArrival));
    const drop = (visitorId: string) => setVisitors((list) => list.filter((x) => x.visitorId !== visitorId));
    const removed = ({ visitorId, reason, by }: { visitorId: string; reason: QueueRemovalReason; by?: string }) => {
      if (reason !== 'admitted' || !by) return drop(visitorId);
      setVisitors((list) => list.map((x) => (x.visitorId === visitorId ? { ...x, takenBy: by } : x)));
      const timer = setTimeout(() => {
        timers.delete(timer);
        drop(visitorId);
      }, TAKEN_SHOWN_MS);
      timers.add(timer);
    };
    const offline = () => setOnline(false);
    if (socket.connected) load();
    socket.on('connect', load);
    socket.on('disconnect', offline);
    socket.on('queue:arrived', arrived);
    socket.on('queue:removed', removed);
    // An admin changed which rooms this dashboard sees (or renamed or deleted one): list again.
    socket.on('queue:rooms-changed', load);
    const tick = setInterval(() => setNow(Date.now()), 15_000);
    return () => {
      socket.off('connect', load);
      socket.off('disconnect', offline);
      socket.off('queue:arrived', arrived);
      socket.off('queue:removed', removed);
      socket.off('queue:rooms-changed', load);
      clearInterval(tick);
      for (const timer of timers) clearTimeout(timer);
    };
  }, [socket]);

  const admit = async (v: WaitingVisitor) => {
    setError(null);
    try {
      await onAdmit(v);
    } catch (err) {
      const code = err instanceof RequestError ? err.code : undefined;
      const gone = code === 'not_waiting' || code === 'not_found' || code === 'already_admitted';
      if (gone) setVisitors((list) => list.filter((x) => x.visitorId !== v.visitorId));
      setError(code === 'already_admitted' ? t('queue.alreadyAdmitted') : gone ? t('queue.notWaiting') : t('queue.admitFailed'));
    }
  };

  // Rooms the list knows, plus any a visitor arrived in since (a room added meanwhile).
  const shown = [...rooms];
  for (const v of visitors) if (!shown.some((r) => r.roomId === v.roomId)) shown.push({ roomId: v.roomId, name: v.roomName, slug: '', kind: 'shared' });

  return (
    <section aria-labelledby="queue-heading">
      <h1 id="queue-heading">
        {t('queue.heading')} <span class="muted">({t('queue.count', { n: waitingCount })})</span>
      </h1>
      {!online && <p class="notice" role="status">{t('queue.offline')}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {visitors.length === 0 && shown.length <= 1 && <p class="muted">{t('queue.empty')}</p>}
      {shown.map((room) => {
        const here = visitors.filter((v) => v.roomId === room.roomId);
        return (
          <section key={room.roomId} class="queue-room" aria-label={room.name} data-room-id={room.roomId}>
            {shown.length > 1 && <h2>{room.name}</h2>}
            {shown.length > 1 && here.length === 0 && <p class="muted">{t('queue.empty')}</p>}
            <ul class="queue" aria-live="polite">
              {here.map((v) => (
                <li key={v.visitorId} data-visitor-id={v.visitorId} class={v.takenBy ? 'taken' : undefined}>
                  <div>
                    <strong>{v.name}</strong>
                    <div class="muted">
                      {t('queue.arrived', { time: new Date(v.arrivedAt).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' }) })} ·{' '}
                      {t('queue.waitingFor', { n: Math.max(0, Math.floor((now - v.arrivedAt) / 60_000)) })}
                    </div>
                  </div>
                  {v.takenBy ? (
                    <span class="muted" role="status">
                      {t('queue.takenBy', { name: v.takenBy })}
                    </span>
                  ) : (
                    <button type="button" aria-label={t('queue.admitName', { name: v.name })} onClick={() => void admit(v)}>
                      {t('queue.admit')}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </section>
  );
}
