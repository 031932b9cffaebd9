import { useState } from 'preact/hooks';
import { personName, type VisitRequest, type VisitResponse } from '../../../signaling/protocol/index.ts';
import { t, type StringKey } from '../strings.ts';

/**
 * The name form. The name is checked with the same schema the server uses, so the visitor sees the
 * exact reason before anything is sent; the server's answer is shown the same way.
 */
export function CheckInForm({ link, professionalName, onCheckedIn }: {
  /** The room's link, or a scheduled consultation's private link. */
  link: { roomSlug: string } | { consultation: string };
  professionalName: string;
  onCheckedIn: (r: VisitResponse) => void;
}) {
  const [name, setName] = useState('');
  const [error, setError] = useState<StringKey | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const parsed = personName.safeParse(name);
    if (!parsed.success) {
      setError(`checkin.${parsed.error.issues[0]?.message}` as StringKey);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body: VisitRequest = { ...link, name: parsed.data };
      const res = await fetch('/api/visits', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.ok) return onCheckedIn((await res.json()) as VisitResponse);
      setError(res.status === 429 ? 'checkin.rateLimited' : res.status === 400 ? 'checkin.name_invalid_characters' : 'checkin.failed');
    } catch {
      setError('checkin.failed');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="check-in" onSubmit={submit} noValidate>
      <label class="field" for="visitor-name">
        <span>{t('checkin.name')}</span>
      </label>
      <input
        id="visitor-name"
        name="name"
        autocomplete="name"
        value={name}
        maxLength={200}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? 'name-error' : 'name-help'}
        onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
      />
      {error ? (
        <p id="name-error" class="error" role="alert">
          {t(error)}
        </p>
      ) : (
        <p id="name-help" class="help">
          {t('checkin.nameHelp', { name: professionalName })}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? t('checkin.submitting') : t('checkin.submit')}
      </button>
    </form>
  );
}
