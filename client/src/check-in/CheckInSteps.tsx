import { useEffect, useState } from 'preact/hooks';
import type { BankIdOutcome, CheckInStep, VisitState } from '../../../signaling/protocol/index.ts';
import { request } from '../call-engine/request.ts';
import { BankIdStep } from '../bankid/BankIdStep.tsx';
import { PaymentFrame } from '../payment/PaymentFrame.tsx';
import { t } from '../strings.ts';
import type { VisitorSocket } from '../visit-session.ts';

/**
 * What the room asks after the form, one step at a time (BankID, then payment); with none left the
 * visitor asks to enter the waiting room. The server decides whether each step is done, never this page.
 */
export function CheckInSteps({
  steps,
  socket,
  visitorToken,
  returnTo,
  privacyPage,
  hostName,
  bankIdOutcome,
  onVisit,
  onStepDone,
}: {
  /** The steps still to do, in order. */
  steps: CheckInStep[];
  socket: VisitorSocket | null;
  visitorToken: string;
  /** This page's own path (the visit's link), where the BankID broker sends the visitor back; the payment frame is under it. */
  returnTo: string;
  /** The organization's privacy page, which the payment step's note links to. */
  privacyPage: string;
  hostName: string;
  bankIdOutcome: BankIdOutcome | null;
  onVisit: (visit: VisitState) => void;
  /** A step is done here in the page (the card authorized): the steps left. */
  onStepDone: (remaining: CheckInStep[]) => void;
}) {
  const [failed, setFailed] = useState(false);
  const enter = () => {
    if (!socket) return;
    setFailed(false);
    request(socket, 'visit:enter', {}).then(({ visit }) => onVisit(visit), () => setFailed(true));
  };
  useEffect(() => {
    if (steps.length === 0) enter();
  }, [steps.length, socket]);

  const step = steps[0];
  return (
    <section aria-labelledby="steps-heading">
      <h1 id="steps-heading">{t('steps.heading')}</h1>
      {step === 'bankid' && <BankIdStep visitorToken={visitorToken} returnTo={returnTo} hostName={hostName} outcome={bankIdOutcome} />}
      {step === 'payment' && <PaymentFrame visitPath={returnTo} visitorToken={visitorToken} privacyPage={privacyPage} onAuthorized={() => onStepDone(steps.slice(1))} />}
      {!step && !failed && <p role="status">{t('steps.entering')}</p>}
      {!step && failed && (
        <>
          <p class="error" role="alert">
            {t('steps.enterFailed')}
          </p>
          <button type="button" onClick={enter}>
            {t('bankid.retry')}
          </button>
        </>
      )}
    </section>
  );
}
