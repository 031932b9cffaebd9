import { useEffect, useState } from 'preact/hooks';
import type { ErrorBody, ProfessionalLinkRedeemed } from '../../../signaling/protocol/index.ts';
import { useEmbedProgress, type EmbedStage } from '../../../client/src/embed/use-embed-progress.ts';
import { LanguageSwitch } from '../../../client/src/i18n/LanguageSwitch.tsx';
import { useLanguage } from '../../../client/src/i18n/i18n.ts';
import { i18n, t } from '../strings.ts';
import { EmbeddedConsultation } from './EmbeddedConsultation.tsx';

/** The token from the link's fragment (`#link=<org>.<secret>`): never sent to a server by the browser itself. */
function tokenInLink(): string | null {
  const m = /^#link=([0-9a-f]{32}\.[A-Za-z0-9_-]{43})$/.exec(location.hash);
  return m ? m[1]! : null;
}

type State =
  | { kind: 'opening' }
  | { kind: 'failed'; message: string }
  | { kind: 'opened'; opened: ProfessionalLinkRedeemed };

/**
 * `/dashboard/link/<org>#link=<token>`: a single-use link from the organization's records system. At the
 * top level as inside the records system's iframe, it trades the token for a bearer token of that one
 * consultation, kept only in this page's memory, and shows that consultation (EmbeddedConsultation). It
 * never logs in to the dashboard: a link an EHR's API key can make must not open the organization's
 * admin pages (the dashboard needs a real login), and no cookie means nothing the iframe could lose.
 * The token leaves the address bar at once, so a reload or a shared screenshot cannot reuse it.
 */
export function ProfessionalLinkPage() {
  useLanguage(i18n);
  const [state, setState] = useState<State>({ kind: 'opening' });
  // One line to the records system for the page's whole life; the consultation view reports its stage here.
  const [progress, setProgress] = useState<{ stage: EmbedStage; hangUp?: () => void }>({ stage: 'loading' });
  useEmbedProgress('professional', state.kind === 'failed' ? 'invalid' : progress.stage, progress.hangUp);

  useEffect(() => {
    const token = tokenInLink();
    history.replaceState(null, '', location.pathname + location.search);
    if (!token) return setState({ kind: 'failed', message: t('embed.linkInvalid') });
    void (async () => {
      const res = await fetch('/api/professional-links/redeem', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
        credentials: 'same-origin',
      });
      if (!res.ok) {
        const code = ((await res.json().catch(() => null)) as { error?: ErrorBody } | null)?.error?.code;
        return setState({ kind: 'failed', message: code === 'audit_unavailable' ? t('embed.auditUnavailable') : t('embed.linkInvalid') });
      }
      setState({ kind: 'opened', opened: (await res.json()) as ProfessionalLinkRedeemed });
    })().catch(() => setState({ kind: 'failed', message: t('embed.failed') }));
  }, []);

  if (state.kind === 'opened') return <EmbeddedConsultation opened={state.opened} onProgress={setProgress} />;
  return (
    <div class="page">
      <header class="topbar">
        <span class="brand">{t('embed.heading')}</span>
        <LanguageSwitch i18n={i18n} label={t('app.language')} />
      </header>
      <main>
        {state.kind === 'opening' ? (
          <p role="status">{t('embed.opening')}</p>
        ) : (
          <p class="error" role="alert">
            {state.message}
          </p>
        )}
      </main>
    </div>
  );
}
