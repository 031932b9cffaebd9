import { isFramed } from '../embed/embed-bridge.ts';
import { useState } from 'preact/hooks';
import { BANKID_OUTCOMES, visitorRoutes, type BankIdOutcome } from '../../../signaling/protocol/index.ts';
import { callRoute } from '../http/call-route.ts';
import { t } from '../strings.ts';

/**
 * How the trip to the broker went, from the fragment the server sent the visitor back with
 * (`#bankid=done|cancelled|failed`), read once; the fragment is then cleared so a reload does not repeat it.
 */
export function bankIdOutcomeInLink(): BankIdOutcome | null {
  const m = /^#bankid=([a-z]+)$/.exec(location.hash);
  const outcome = BANKID_OUTCOMES.find((o) => o === m?.[1]) ?? null;
  if (outcome) history.replaceState(null, '', location.pathname + location.search);
  return outcome;
}

/**
 * The BankID step of the check-in: after the form, before the waiting room, in a room that asks for it.
 * The visitor token is in local storage already (it survives the trip to the broker); `returnTo` is this
 * page's own path (`/r/<room>` or `/c/<link>`), where the broker's answer brings the visitor back.
 * `outcome`: what the last trip gave (see bankIdOutcomeInLink); after 'done' the caller asks to enter.
 */
export function BankIdStep({ visitorToken, returnTo, hostName, outcome }: { visitorToken: string; returnTo: string; hostName: string; outcome: BankIdOutcome | null }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<'bankid.failed' | 'bankid.unavailable' | null>(null);

  const start = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const res = await callRoute(visitorRoutes.bankIdStart, { body: { returnTo } }, { visitorToken });
      if (!res.ok) {
        const error = res.error;
        setProblem(error?.code === 'bankid_unavailable' || error?.code === 'rate_limited' ? 'bankid.unavailable' : 'bankid.failed');
        setBusy(false);
        return;
      }
      location.assign(res.data.authorizationUrl);
    } catch {
      setProblem('bankid.unavailable');
      setBusy(false);
    }
  };

  const message = problem ?? (outcome === 'cancelled' ? 'bankid.cancelled' : outcome === 'failed' ? 'bankid.failed' : null);
  return (
    <section aria-labelledby="bankid-heading" class="bankid-step">
      <h2 id="bankid-heading">{t('bankid.heading')}</h2>
      {outcome === 'done' ? (
        <p role="status">{t('bankid.done')}</p>
      ) : (
        <>
          <p>{t('bankid.explain', { name: hostName })}</p>
          {message && (
            <p class="error" role="alert">
              {t(message)}
            </p>
          )}
          {isFramed() ? (
            // Inside an EHR's iframe the flow cookie that binds BankID's answer to this browser (SameSite=Lax)
            // is a third-party cookie, and the broker's pages refuse to be framed: BankID is not offered
            // here. The visit goes on in a window of its own (the visitor checks in there again).
            <p>
              {t('bankid.framed')}{' '}
              <a href={location.pathname} target="_blank" rel="noopener noreferrer">
                {t('bankid.openWindow')}
              </a>
            </p>
          ) : (
            <button type="button" disabled={busy} onClick={() => void start()}>
              {busy ? t('bankid.starting') : message ? t('bankid.retry') : t('bankid.start')}
            </button>
          )}
        </>
      )}
    </section>
  );
}
