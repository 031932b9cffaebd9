import { useEffect, useState } from 'preact/hooks';
import { memberRoutes, type HistoryEntry } from '../../../signaling/protocol/index.ts';
import { fetchRoute } from '../api.ts';
import { clockTime, dateTime, t } from '../strings.ts';

export function HistoryList() {
  const [calls, setCalls] = useState<HistoryEntry[] | null>(null);
  useEffect(() => {
    void fetchRoute(memberRoutes.history, {}).then((r) => setCalls(r.calls), () => setCalls([]));
  }, []);
  const length = (c: HistoryEntry) =>
    c.lengthSeconds === null ? t('history.ongoing') : t('history.minutes', { m: Math.floor(c.lengthSeconds / 60), s: c.lengthSeconds % 60 });
  return (
    <section aria-labelledby="history-heading">
      <h1 id="history-heading">{t('history.heading')}</h1>
      {calls === null ? (
        <p role="status">{t('app.loading')}</p>
      ) : calls.length === 0 ? (
        <p class="muted">{t('history.empty')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('history.visitor')}</th>
              <th scope="col">{t('history.room')}</th>
              <th scope="col">{t('history.date')}</th>
              <th scope="col">{t('history.start')}</th>
              <th scope="col">{t('history.length')}</th>
            </tr>
          </thead>
          <tbody>
            {calls.map((c) => (
              <tr key={c.callId} data-call-id={c.callId}>
                <td>{c.visitorName}</td>
                <td>{c.roomName}</td>
                <td>{dateTime(c.startedAt, { dateStyle: 'short' })}</td>
                <td>{clockTime(c.startedAt)}</td>
                <td data-length-seconds={c.lengthSeconds ?? ''}>{length(c)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
