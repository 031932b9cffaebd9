import { useState } from 'preact/hooks';
import { memberRoutes, type Me } from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { t } from '../strings.ts';

type Problem = 'password.tooShort' | 'password.mismatch' | 'password.wrongCurrent' | 'password.same' | 'password.failed' | 'login.rateLimited';

/** After an admin reset the password: the member chooses their own before anything else. */
export function PasswordChange({ onChanged }: { onChanged: (me: Me) => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (next.length < 10) return setProblem('password.tooShort');
    if (next !== again) return setProblem('password.mismatch');
    setBusy(true);
    setProblem(null);
    try {
      onChanged(await fetchRoute(memberRoutes.changePassword, { body: { currentPassword: current, newPassword: next } }));
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setProblem(status === 401 ? 'password.wrongCurrent' : status === 400 ? 'password.same' : status === 429 ? 'login.rateLimited' : 'password.failed');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="password-heading" class="login">
      <h1 id="password-heading">{t('password.heading')}</h1>
      <p>{t('password.why')}</p>
      <form onSubmit={submit} noValidate>
        <label class="field">
          <span>{t('password.current')}</span>
          <input type="password" autocomplete="current-password" value={current} onInput={(e) => setCurrent((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <PasswordFields next={next} again={again} setNext={setNext} setAgain={setAgain} />
        {problem && <p class="error" role="alert">{t(problem)}</p>}
        <button type="submit" disabled={busy}>
          {t('password.submit')}
        </button>
      </form>
    </section>
  );
}

/** A new password, typed twice, with what it must be. */
export function PasswordFields({ next, again, setNext, setAgain }: { next: string; again: string; setNext: (v: string) => void; setAgain: (v: string) => void }) {
  return (
    <>
      <label class="field">
        <span>{t('password.new')}</span>
        <input
          type="password"
          autocomplete="new-password"
          aria-describedby="password-rule"
          value={next}
          onInput={(e) => setNext((e.currentTarget as HTMLInputElement).value)}
        />
      </label>
      <p id="password-rule" class="muted">
        {t('password.rule')}
      </p>
      <label class="field">
        <span>{t('password.again')}</span>
        <input type="password" autocomplete="new-password" value={again} onInput={(e) => setAgain((e.currentTarget as HTMLInputElement).value)} />
      </label>
    </>
  );
}
