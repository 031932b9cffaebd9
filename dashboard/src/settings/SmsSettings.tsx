import { useEffect, useState } from 'preact/hooks';
import { memberRoutes, type SmsSettingsInfo } from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { i18n, t } from '../strings.ts';

/** The professional's own SMS alerts: a number proved with a code, then at most one SMS per interval. */
export function SmsSettings() {
  const [info, setInfo] = useState<SmsSettingsInfo | null>(null);
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [codeSent, setCodeSent] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const load = () => fetchRoute(memberRoutes.smsSettings, {}).then(setInfo, () => setProblem(t('sms.failed')));
  useEffect(() => void load(), []);

  const run = async (action: () => Promise<void>) => {
    setProblem(null);
    try {
      await action();
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setProblem(status === 400 ? t('sms.badPhone') : status === 401 ? t('sms.wrongCode') : status === 429 ? t('sms.tooMany') : t('sms.failed'));
    }
  };

  if (!info) return <p role="status">{problem ?? t('app.loading')}</p>;
  return (
    <section aria-labelledby="sms-heading">
      <h2 id="sms-heading">{t('sms.heading')}</h2>
      {!info.available ? (
        <p class="notice">{t('sms.unavailable')}</p>
      ) : info.verified ? (
        <>
          <p>{t('sms.on', { phone: info.phone ?? '', minutes: info.intervalMinutes })}</p>
          <button type="button" class="secondary" onClick={() => void run(async () => (await fetchRoute(memberRoutes.smsOff, {}), await load()))}>
            {t('sms.turnOff')}
          </button>
        </>
      ) : (
        <>
          <p>{t('sms.explain', { minutes: info.intervalMinutes })}</p>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void run(async () => {
                await fetchRoute(memberRoutes.smsPhone, { body: { phone, language: i18n.language() } });
                setCodeSent(true);
              });
            }}
          >
            <label class="field">
              <span>{t('sms.phone')}</span>
              <input type="tel" autocomplete="tel" placeholder="+47 912 34 567" value={phone} onInput={(e) => setPhone((e.currentTarget as HTMLInputElement).value.replace(/\s+/g, ''))} />
            </label>
            <button type="submit">{t('sms.sendCode')}</button>
          </form>
          {codeSent && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void run(async () => setInfo(await fetchRoute(memberRoutes.smsVerify, { body: { code } })));
              }}
            >
              <label class="field">
                <span>{t('sms.code')}</span>
                <input inputMode="numeric" autocomplete="one-time-code" maxLength={6} value={code} onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)} />
              </label>
              <button type="submit">{t('sms.verify')}</button>
            </form>
          )}
        </>
      )}
      {problem && <p class="error" role="alert">{problem}</p>}
    </section>
  );
}
