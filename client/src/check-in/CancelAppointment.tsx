import { useState } from 'preact/hooks';
import { ErrorCode, visitorRoutes, type VisitorCancel, type VisitorCancelled } from '../../../signaling/protocol/index.ts';
import { callRoute } from '../http/call-route.ts';
import { t } from '../strings.ts';

/**
 * "Cancel this appointment", on a consultation's link before the visitor is in the line: asks once more,
 * then cancels with the link itself (its token in the body). The page then says it is cancelled; so does
 * the link opened again, rather than an error.
 */
export function CancelAppointment({ token, onCancelled }: { token: string; onCancelled: (result: VisitorCancelled) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const cancel = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const body: VisitorCancel = { token };
      const res = await callRoute(visitorRoutes.cancelFromLink, { body });
      if (res.ok) return onCancelled(res.data);
      const code = res.error?.code;
      setProblem(code === ErrorCode.consultationInCall ? t('cancel.inCall') : t('cancel.failed'));
    } catch {
      setProblem(t('cancel.failed'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="cancel-appointment">
      {confirming ? (
        <div role="group" aria-labelledby="cancel-confirm">
          <p id="cancel-confirm">{t('cancel.confirm')}</p>
          <button type="button" class="danger" disabled={busy} onClick={() => void cancel()}>
            {t('cancel.confirmYes')}
          </button>{' '}
          <button type="button" class="secondary" disabled={busy} onClick={() => setConfirming(false)}>
            {t('cancel.keep')}
          </button>
        </div>
      ) : (
        <button type="button" class="secondary" onClick={() => setConfirming(true)}>
          {t('cancel.button')}
        </button>
      )}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
