import { useEffect, useState } from 'preact/hooks';
import { memberRoutes, type LoginRequest, type Me } from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { t } from '../strings.ts';
import { bankIdOrganization, bankIdOutcomeInLink } from './bankid-outcome.ts';

type LoginError = 'login.invalid' | 'login.rateLimited' | 'login.failed' | 'login.missing';

export function LoginForm({ onLoggedIn, notice }: { onLoggedIn: (me: Me) => void; notice?: string }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<LoginError | null>(null);
  const [busy, setBusy] = useState(false);
  const [organization] = useState(bankIdOrganization);
  const [bankIdOffered, setBankIdOffered] = useState(false);
  const [bankIdOutcome] = useState(bankIdOutcomeInLink);

  useEffect(() => {
    if (!organization) return;
    fetchRoute(memberRoutes.bankIdLoginOptions, { query: { organization } }).then((o) => setBankIdOffered(o.bankId), () => undefined);
  }, [organization]);

  const bankIdLogin = async () => {
    setError(null);
    // (Offered only with an organization in the link; without one the server would refuse it anyway.)
    if (!organization) return setError('login.failed');
    try {
      location.assign((await fetchRoute(memberRoutes.bankIdLoginStart, { body: { organization } })).authorizationUrl);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 429 ? 'login.rateLimited' : 'login.failed');
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!email.trim() || !password) return setError('login.missing');
    setBusy(true);
    setError(null);
    try {
      const body: LoginRequest = { email, password };
      onLoggedIn(await fetchRoute(memberRoutes.login, { body }));
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setError(status === 401 ? 'login.invalid' : status === 429 ? 'login.rateLimited' : 'login.failed');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="login-heading" class="login">
      <h1 id="login-heading">{t('login.heading')}</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      {bankIdOutcome === 'failed' && <p class="error" role="alert">{t('bankid.loginFailed')}</p>}
      {bankIdOutcome === 'cancelled' && <p class="notice" role="status">{t('bankid.cancelled')}</p>}
      {bankIdOffered && (
        <p>
          <button type="button" onClick={() => void bankIdLogin()}>
            {t('bankid.login')}
          </button>
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <label class="field">
          <span>{t('login.email')}</span>
          <input type="email" name="email" autocomplete="username" value={email} onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>{t('login.password')}</span>
          <input type="password" name="password" autocomplete="current-password" value={password} onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} />
        </label>
        {error && <p class="error" role="alert">{t(error)}</p>}
        <button type="submit" disabled={busy}>
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
      </form>
    </section>
  );
}
