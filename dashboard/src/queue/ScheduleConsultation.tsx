import { useState } from 'preact/hooks';
import { wallTimeToInstant, type ConsultationCreated, type QueueRoom } from '../../../signaling/protocol/index.ts';
import { api } from '../api.ts';
import { t, timeZone } from '../strings.ts';
import { RoomChoice } from './RoomChoice.tsx';

/** A private link for one visitor, to one of the professional's rooms, for a time (or any time). */
export function ScheduleConsultation({ rooms }: { rooms: QueueRoom[] }) {
  const [roomId, setRoomId] = useState('');
  const [when, setWhen] = useState('');
  const [created, setCreated] = useState<ConsultationCreated | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const chosen = roomId || rooms[0]?.roomId || '';

  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem(null);
    // The time typed is at the organization's clock, whatever zone this browser is set to.
    const scheduledAt = when ? wallTimeToInstant(when, timeZone()) : undefined;
    if (scheduledAt !== undefined && Number.isNaN(scheduledAt)) return setProblem(t('schedule.badTime'));
    try {
      setCreated(await api<ConsultationCreated>('POST', '/api/consultations', scheduledAt ? { roomId: chosen, scheduledAt } : { roomId: chosen }));
    } catch {
      setProblem(t('schedule.failed'));
    }
  };

  if (rooms.length === 0) return null;
  return (
    <form class="inline-form" onSubmit={submit} aria-labelledby="schedule-heading">
      <h2 id="schedule-heading">{t('schedule.heading')}</h2>
      <RoomChoice rooms={rooms} value={chosen} onChange={setRoomId} />
      <label class="field">
        <span>{t('schedule.when')}</span>
        <input type="datetime-local" value={when} onInput={(e) => setWhen((e.currentTarget as HTMLInputElement).value)} />
        <small class="muted">{t('schedule.zone', { zone: timeZone() })}</small>
      </label>
      <button type="submit">{t('schedule.create')}</button>
      {problem && <p class="error" role="alert">{problem}</p>}
      {created && (
        <div class="notice" role="status">
          <p>{t('schedule.linkHelp')}</p>
          <input class="secret" readOnly value={created.visitorLink} aria-label={t('schedule.link')} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
        </div>
      )}
    </form>
  );
}
