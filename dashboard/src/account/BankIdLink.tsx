import { useEffect, useState } from 'preact/hooks';
import { memberRoutes, type MemberBankIdInfo } from '../../../signaling/protocol/index.ts';
import { fetchRoute } from '../api.ts';
import { t } from '../strings.ts';
import { bankIdOutcomeInLink } from '../login/bankid-outcome.ts';

/** The member's own BankID: link it once (an admin approves), then log in with it instead of password and app. */
export function BankIdLink() {
  const [info, setInfo] = useState<MemberBankIdInfo | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [outcome] = useState(bankIdOutcomeInLink);

  useEffect(() => void fetchRoute(memberRoutes.bankIdLink, {}).then(setInfo, () => undefined), []);

  const start = async () => {
    setProblem(null);
    try {
      location.assign((await fetchRoute(memberRoutes.bankIdLinkStart, {})).authorizationUrl);
    } catch {
      setProblem(t('bankid.failed'));
    }
  };

  if (!info?.offered) return null;
  return (
    <section aria-labelledby="bankid-link-heading">
      <h2 id="bankid-link-heading">{t('bankid.link.heading')}</h2>
      {outcome === 'failed' && <p class="error" role="alert">{t('bankid.failed')}</p>}
      {outcome === 'cancelled' && <p role="status">{t('bankid.cancelled')}</p>}
      {problem && <p class="error" role="alert">{problem}</p>}
      {info.state === 'bound' && <p>{t('bankid.link.bound')}</p>}
      {info.state === 'pending' && <p role="status">{t('bankid.link.pending')}</p>}
      {info.state !== 'bound' && (
        <>
          <p class="muted">{t('bankid.link.explain')}</p>
          <button type="button" onClick={() => void start()}>
            {t('bankid.link.start')}
          </button>
        </>
      )}
    </section>
  );
}
