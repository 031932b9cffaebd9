import { useState } from 'preact/hooks';
import {
  LANGUAGE_CODES,
  LANGUAGE_NAMES,
  consultationRequest,
  scheduledTimeProblem,
  wallTimeToInstant,
  type ConsultationCreated,
  type ConsultationRequest,
  type Language,
  type QueueRoom,
  memberRoutes,
} from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { i18n, t, timeZone } from '../strings.ts';
import { RoomChoice } from './RoomChoice.tsx';

type Key = Parameters<typeof t>[0];
type Field = 'phone' | 'email' | 'scheduledAt';

/** A refusal's code ("phone_invalid", "time_past", "sms_unavailable") in the professional's words. */
function wordsFor(code: string): string {
  const key = `schedule.error.${code}` as Key;
  const worded = t(key);
  return worded === key ? t('schedule.failed') : worded;
}

/**
 * A private link for one visitor, to one of the professional's rooms, for a time (or any time), sent to
 * the visitor by SMS and/or e-mail in the language chosen. What is typed is checked with the schema the
 * server checks it with, so a bad number or address is refused here with the same words as there.
 */
export function ScheduleConsultation({ rooms, onScheduled }: { rooms: QueueRoom[]; onScheduled?: () => void }) {
  const [roomId, setRoomId] = useState('');
  const [when, setWhen] = useState('');
  const [phone, setPhone] = useState('');
  const [email, setEmail] = useState('');
  const [language, setLanguage] = useState<Language>(() => i18n.language());
  const [created, setCreated] = useState<ConsultationCreated | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [fieldProblems, setFieldProblems] = useState<Partial<Record<Field, string>>>({});
  const [busy, setBusy] = useState(false);
  const chosen = roomId || rooms[0]?.roomId || '';

  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem(null);
    setFieldProblems({});
    setCreated(null);
    // The time typed is at the organization's clock, whatever zone this browser is set to.
    const scheduledAt = when ? wallTimeToInstant(when, timeZone()) : undefined;
    if (scheduledAt !== undefined && Number.isNaN(scheduledAt)) return setFieldProblems({ scheduledAt: t('schedule.badTime') });
    const timeProblem = scheduledAt !== undefined ? scheduledTimeProblem(scheduledAt, Date.now()) : null;
    if (timeProblem) return setFieldProblems({ scheduledAt: wordsFor(timeProblem) });
    const body: ConsultationRequest = {
      roomId: chosen,
      ...(scheduledAt !== undefined ? { scheduledAt } : {}),
      ...(phone.trim() ? { phone } : {}),
      ...(email.trim() ? { email } : {}),
      ...(phone.trim() || email.trim() ? { language } : {}),
    };
    const parsed = consultationRequest.safeParse(body);
    if (!parsed.success) {
      const found: Partial<Record<Field, string>> = {};
      for (const issue of parsed.error.issues) found[String(issue.path[0]) as Field] ??= wordsFor(issue.message);
      return setFieldProblems(found);
    }
    setBusy(true);
    try {
      setCreated(await fetchRoute(memberRoutes.schedule, { body }));
      setPhone('');
      setEmail('');
      onScheduled?.();
    } catch (err) {
      // The server's refusal: a field and its code (the same codes as above), else a code of its own.
      const refused = err instanceof ApiError && err.code === 'bad_request' ? err.details.fields?.[0] : undefined;
      const field = refused?.field;
      if (refused && (field === 'phone' || field === 'email' || field === 'scheduledAt')) setFieldProblems({ [field]: wordsFor(refused.code) });
      else setProblem(err instanceof ApiError ? wordsFor(err.code) : t('schedule.failed'));
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (field: Field) =>
    fieldProblems[field] && (
      <p id={`schedule-${field}-error`} class="error" role="alert">
        {fieldProblems[field]}
      </p>
    );

  if (rooms.length === 0) return null;
  return (
    <form class="inline-form schedule-consultation" onSubmit={submit} aria-labelledby="schedule-heading" noValidate>
      <h2 id="schedule-heading">{t('schedule.heading')}</h2>
      <RoomChoice rooms={rooms} value={chosen} onChange={setRoomId} />
      <label class="field">
        <span>{t('schedule.when')}</span>
        <input
          type="datetime-local"
          value={when}
          aria-invalid={fieldProblems.scheduledAt ? 'true' : undefined}
          aria-describedby={fieldProblems.scheduledAt ? 'schedule-scheduledAt-error' : undefined}
          onInput={(e) => setWhen((e.currentTarget as HTMLInputElement).value)}
        />
        <small class="muted">{t('schedule.zone', { zone: timeZone() })}</small>
      </label>
      {fieldError('scheduledAt')}
      <label class="field">
        <span>{t('schedule.phone')}</span>
        <input
          type="tel"
          autocomplete="off"
          value={phone}
          aria-invalid={fieldProblems.phone ? 'true' : undefined}
          aria-describedby={fieldProblems.phone ? 'schedule-phone-error' : 'schedule-phone-help'}
          onInput={(e) => setPhone((e.currentTarget as HTMLInputElement).value)}
        />
        <small id="schedule-phone-help" class="muted">
          {t('schedule.phoneHelp')}
        </small>
      </label>
      {fieldError('phone')}
      <label class="field">
        <span>{t('schedule.email')}</span>
        <input
          type="email"
          autocomplete="off"
          value={email}
          aria-invalid={fieldProblems.email ? 'true' : undefined}
          aria-describedby={fieldProblems.email ? 'schedule-email-error' : 'schedule-email-help'}
          onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)}
        />
        <small id="schedule-email-help" class="muted">
          {t('schedule.emailHelp')}
        </small>
      </label>
      {fieldError('email')}
      <label class="field">
        <span>{t('schedule.language')}</span>
        <select value={language} onChange={(e) => setLanguage((e.currentTarget as HTMLSelectElement).value as Language)}>
          {LANGUAGE_CODES.map((code) => (
            <option key={code} value={code} lang={code}>
              {LANGUAGE_NAMES[code]}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={busy}>
        {t('schedule.create')}
      </button>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {created && (
        <div class="notice" role="status">
          {created.invitation.sms === 'sent' && <p>{t('schedule.sent.sms')}</p>}
          {created.invitation.sms === 'failed' && <p class="error">{t('schedule.sent.smsFailed')}</p>}
          {(created.invitation.email === 'queued' || created.invitation.email === 'sent') && <p>{t('schedule.sent.email')}</p>}
          {created.invitation.email === 'failed' && <p class="error">{t('schedule.sent.emailFailed')}</p>}
          <p>{t('schedule.linkHelp')}</p>
          {/* The whole link, wrapped: a single-line box hid its end, where the secret is, on a phone. */}
          <textarea class="secret link" readOnly rows={3} value={created.visitorLink} aria-label={t('schedule.link')} onFocus={(e) => (e.currentTarget as HTMLTextAreaElement).select()} />
        </div>
      )}
    </form>
  );
}
