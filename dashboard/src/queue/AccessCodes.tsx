import { useState } from 'preact/hooks';
import { memberRoutes, type AccessCodeCreated, type QueueRoom } from '../../../signaling/protocol/index.ts';
import { fetchRoute } from '../api.ts';
import { clockTime, t } from '../strings.ts';
import { RoomChoice } from './RoomChoice.tsx';

/**
 * An access code for one visitor of a pseudonymous room: they check in with it and no name; the queue card
 * shows the label. Shown once; single use; it expires.
 */
export function AccessCodes({ rooms }: { rooms: QueueRoom[] }) {
  const pseudonymous = rooms.filter((r) => r.pseudonymous);
  const [roomId, setRoomId] = useState('');
  const [label, setLabel] = useState('');
  const [hours, setHours] = useState('24');
  const [created, setCreated] = useState<AccessCodeCreated | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const chosen = roomId || pseudonymous[0]?.roomId || '';
  if (pseudonymous.length === 0) return null;

  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem(null);
    try {
      setCreated(await fetchRoute(memberRoutes.accessCode, { body: { roomId: chosen, label, validHours: Number(hours) } }));
      setLabel('');
    } catch {
      setProblem(t('codes.failed'));
    }
  };

  return (
    <form class="inline-form" onSubmit={submit} aria-labelledby="codes-heading">
      <h2 id="codes-heading">{t('codes.heading')}</h2>
      <RoomChoice rooms={pseudonymous} value={chosen} onChange={setRoomId} />
      <label class="field">
        <span>{t('codes.label')}</span>
        <input value={label} required maxLength={80} onInput={(e) => setLabel((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <label class="field">
        <span>{t('codes.validHours')}</span>
        <select value={hours} onChange={(e) => setHours((e.currentTarget as HTMLSelectElement).value)}>
          {['2', '24', '72', '168'].map((h) => (
            <option key={h} value={h}>
              {t('codes.hours', { n: h })}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">{t('codes.create')}</button>
      {problem && <p class="error" role="alert">{problem}</p>}
      {created && (
        <div class="notice" role="status">
          <p>{t('codes.help', { time: clockTime(created.expiresAt) })}</p>
          <input class="secret" readOnly value={created.code} aria-label={t('codes.code')} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
        </div>
      )}
    </form>
  );
}
