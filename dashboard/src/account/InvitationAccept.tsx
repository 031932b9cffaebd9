import { useEffect, useState } from 'preact/hooks';
import { invitationCode, memberRoutes, type InvitationInfo, type Me } from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { i18n, t } from '../strings.ts';
import { PasswordFields } from './PasswordChange.tsx';

/** A wrong code, with how many more the invitation survives when the server says. */
function wrongCode(err: unknown): string {
  const left = err instanceof ApiError ? err.details.triesLeft : undefined;
  if (left === undefined) return t('invitation.wrongCode');
  return i18n.plural('invitation.wrongCodeTriesLeft', left, { count: left });
}

/** Someone opened an invitation link: they choose a password and are a member from then on. */
export function InvitationAccept({ token, onJoined }: { token: string; onJoined: (me: Me) => void }) {
  const [info, setInfo] = useState<InvitationInfo | null | undefined>(undefined);
  const [code, setCode] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    fetchRoute(memberRoutes.invitationLookup, { body: { token } }).then(setInfo, () => setInfo(null));
  }, [token]);

  if (info === undefined) return <p role="status">{t('app.loading')}</p>;
  if (info === null) {
    return (
      <section class="login">
        <h1>{t('invitation.invalidHeading')}</h1>
        <p>{t('invitation.invalid')}</p>
      </section>
    );
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    // The code is read out grouped ("1234 5678"): the shared schema takes it with or without the space.
    if (!invitationCode.safeParse(code).success) return setProblem(t('invitation.codeFormat'));
    if (next.length < 10) return setProblem(t('password.tooShort'));
    if (next !== again) return setProblem(t('password.mismatch'));
    setBusy(true);
    setProblem(null);
    try {
      onJoined(await fetchRoute(memberRoutes.acceptInvitation, { body: { token, code, password: next } }));
    } catch (err) {
      const refused = err instanceof ApiError ? err.code : '';
      if (refused === 'not_found') setInfo(null);
      setProblem(refused === 'invalid_code' ? wrongCode(err) : refused === 'email_taken' ? t('invitation.emailTaken') : t('password.failed'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="invitation-heading" class="login">
      <h1 id="invitation-heading">{t('invitation.heading', { organization: info.organizationName })}</h1>
      <p>{t('invitation.intro', { name: info.name, email: info.email })}</p>
      <form onSubmit={submit} noValidate>
        <label class="field">
          <span>{t('invitation.code')}</span>
          <input
            value={code}
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={12}
            aria-describedby="invitation-code-help"
            onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <p id="invitation-code-help" class="muted">
          {t('invitation.codeHelp')}
        </p>
        <PasswordFields next={next} again={again} setNext={setNext} setAgain={setAgain} />
        {problem && <p class="error" role="alert">{problem}</p>}
        <button type="submit" disabled={busy}>
          {t('invitation.submit')}
        </button>
      </form>
    </section>
  );
}
