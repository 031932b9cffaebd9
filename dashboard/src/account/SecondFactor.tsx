import { useEffect, useState } from 'preact/hooks';
import { memberRoutes, type Me, type SecondFactorEnabled, type SecondFactorSetupInfo } from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { t } from '../strings.ts';

function problemOf(err: unknown): string {
  const status = err instanceof ApiError ? err.status : 0;
  if (status === 401) return t('twoStep.wrongCode');
  if (status === 429) return t('login.rateLimited');
  if (status === 400) return t('twoStep.enterCode');
  if (err instanceof ApiError && err.code === 'audit_unavailable') return t('login.auditUnavailable');
  return t('login.failed');
}

/** The code from the member's authenticator app (or a recovery code), after the password. */
export function SecondFactorCheck({ onDone }: { onDone: (me: Me) => void }) {
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (code.trim().length < 6) return setProblem(t('twoStep.enterCode'));
    setBusy(true);
    setProblem(null);
    try {
      onDone(await fetchRoute(memberRoutes.secondFactor, { body: { code } }));
    } catch (err) {
      setProblem(problemOf(err));
      setCode('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="two-step-heading" class="login">
      <h1 id="two-step-heading">{t('twoStep.heading')}</h1>
      <form onSubmit={submit} noValidate>
        <label class="field">
          <span>{recovery ? t('twoStep.recoveryCode') : t('twoStep.code')}</span>
          <input
            value={code}
            autocomplete="one-time-code"
            inputMode={recovery ? 'text' : 'numeric'}
            maxLength={20}
            onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        {problem && <p class="error" role="alert">{problem}</p>}
        <button type="submit" disabled={busy}>
          {t('twoStep.submit')}
        </button>
        <button type="button" class="secondary" onClick={() => setRecovery(!recovery)}>
          {recovery ? t('twoStep.useApp') : t('twoStep.useRecovery')}
        </button>
      </form>
    </section>
  );
}

/** At the first login: add the secret to an app, prove it with a code, and keep the recovery codes. */
export function SecondFactorSetup({ onDone }: { onDone: (me: Me) => void }) {
  const [setup, setSetup] = useState<SecondFactorSetupInfo | null>(null);
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [enabled, setEnabled] = useState<SecondFactorEnabled | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    fetchRoute(memberRoutes.secondFactorSetup, {}).then(setSetup, (err) => setProblem(problemOf(err)));
  }, []);

  if (enabled) {
    return (
      <section aria-labelledby="recovery-heading" class="login">
        <h1 id="recovery-heading">{t('twoStep.recoveryHeading')}</h1>
        <p>{t('twoStep.recoveryHelp')}</p>
        <ul class="recovery-codes" aria-label={t('twoStep.recoveryHeading')}>
          {enabled.recoveryCodes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <button type="button" onClick={() => onDone(enabled.me)}>
          {t('twoStep.saved')}
        </button>
      </section>
    );
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(code.trim())) return setProblem(t('twoStep.enterCode'));
    setBusy(true);
    setProblem(null);
    try {
      setEnabled(await fetchRoute(memberRoutes.enableSecondFactor, { body: { code } }));
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="setup-heading" class="login">
      <h1 id="setup-heading">{t('twoStep.setupHeading')}</h1>
      <p>{t('twoStep.setupHelp')}</p>
      {setup ? (
        <>
          {/* Our own SVG, made on our server from the secret: no third-party QR service sees it. */}
          <div class="qr" role="img" aria-label={t('twoStep.qr')} dangerouslySetInnerHTML={{ __html: setup.qrSvg }} />
          <p>
            {t('twoStep.manual')} <code data-testid="totp-secret">{setup.secret}</code>
          </p>
        </>
      ) : (
        !problem && <p role="status">{t('app.loading')}</p>
      )}
      <form onSubmit={submit} noValidate>
        <label class="field">
          <span>{t('twoStep.code')}</span>
          <input value={code} autocomplete="one-time-code" inputMode="numeric" maxLength={6} onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)} />
        </label>
        {problem && <p class="error" role="alert">{problem}</p>}
        <button type="submit" disabled={busy || !setup}>
          {t('twoStep.turnOn')}
        </button>
      </form>
    </section>
  );
}
