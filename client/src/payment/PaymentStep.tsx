import { useEffect, useRef, useState } from 'preact/hooks';
// The "pure" entry loads Stripe.js only when loadStripe is called. This component runs only in the payment
// frame (pay-frame.tsx): Stripe's script and cookies are in that frame and nowhere else.
import { loadStripe } from '@stripe/stripe-js/pure';
import type { Stripe, StripeElements } from '@stripe/stripe-js';
import { visitorRoutes, type PaymentAuthorization } from '../../../signaling/protocol/index.ts';
import { callRoute } from '../http/call-route.ts';
import { i18n, newTab, privacyLink, t } from '../strings.ts';
import { formatMoney, stripeLocale } from './money.ts';

type Phase = { kind: 'loading' } | { kind: 'ready' } | { kind: 'paying' } | { kind: 'done' } | { kind: 'unavailable'; message: string };

/**
 * The visitor pays for the consultation: the card is authorized now (3-D Secure by Stripe.js where the bank
 * asks for it) and charged only if they are admitted. Card details go from Stripe's own fields straight to
 * Stripe; our server only ever sees whether Stripe authorized the card. A declined card says why and
 * lets the visitor try again. `returnedFromBank`: the frame was loaded again by a bank's redirect.
 */
export function PaymentStep({ visitorToken, privacyPage, returnedFromBank, onAuthorized }: { visitorToken: string; privacyPage: string; returnedFromBank: boolean; onAuthorized: () => void }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [declined, setDeclined] = useState<string | null>(null);
  const [price, setPrice] = useState<PaymentAuthorization | null>(null);
  const mountAt = useRef<HTMLDivElement>(null);
  const stripe = useRef<{ stripe: Stripe; elements: StripeElements } | null>(null);

  useEffect(() => {
    let gone = false;
    (async () => {
      const res = await callRoute(visitorRoutes.payment, {}, { visitorToken });
      if (!res.ok) throw new Error(res.error?.code === 'payments_unavailable' ? t('payment.unavailable') : t('payment.failed'));
      const auth = res.data;
      const loaded = await loadStripe(auth.publishableKey, { locale: stripeLocale(i18n.language()) });
      if (!loaded) throw new Error(t('payment.failed'));
      if (gone) return;
      setPrice(auth);
      // Back from a bank's page (a payment method that leaves the page): Stripe says how it went. (The
      // secret Stripe put in the address went before anything ran: bank-return.ts.)
      if (returnedFromBank) {
        const { paymentIntent } = await loaded.retrievePaymentIntent(auth.clientSecret);
        if (paymentIntent?.status === 'requires_capture') {
          setPhase({ kind: 'done' });
          return onAuthorized();
        }
      }
      const elements = loaded.elements({ clientSecret: auth.clientSecret });
      elements.create('payment').mount(mountAt.current!);
      stripe.current = { stripe: loaded, elements };
      setPhase({ kind: 'ready' });
    })().catch((err: Error) => !gone && setPhase({ kind: 'unavailable', message: err.message || t('payment.failed') }));
    return () => {
      gone = true;
    };
  }, [visitorToken]);

  const pay = async (e: Event) => {
    e.preventDefault();
    if (!stripe.current || phase.kind !== 'ready') return;
    setDeclined(null);
    setPhase({ kind: 'paying' });
    const { stripe: s, elements } = stripe.current;
    try {
      // A card's 3-D Secure stays in Stripe's own dialog; only a method that must leave the page redirects,
      // and it comes back to this frame (its address without any query: see bank-return.ts).
      const { error, paymentIntent } = await s.confirmPayment({ elements, redirect: 'if_required', confirmParams: { return_url: location.origin + location.pathname } });
      if (error) {
        // A card's or a form's problem is for the visitor to read (in their language, from Stripe); anything else is ours.
        setDeclined(error.type === 'card_error' || error.type === 'validation_error' ? (error.message ?? t('payment.declined')) : t('payment.failed'));
        return setPhase({ kind: 'ready' });
      }
      if (paymentIntent?.status === 'requires_capture' || paymentIntent?.status === 'succeeded') {
        setPhase({ kind: 'done' });
        return onAuthorized();
      }
      setDeclined(t('payment.notCompleted'));
      setPhase({ kind: 'ready' });
    } catch {
      setDeclined(t('payment.failed'));
      setPhase({ kind: 'ready' });
    }
  };

  return (
    <section aria-labelledby="payment-heading" class="payment-step">
      <h2 id="payment-heading">{t('payment.heading')}</h2>
      {price && <p>{t('payment.amount', { amount: formatMoney(price.amount, price.currency) })}</p>}
      <p class="muted">{t('payment.howItWorks')}</p>
      {phase.kind === 'unavailable' ? (
        <p class="error" role="alert">
          {phase.message}
        </p>
      ) : (
        <form onSubmit={pay} aria-busy={phase.kind !== 'ready'}>
          {phase.kind === 'loading' && <p role="status">{t('payment.loading')}</p>}
          <div ref={mountAt} class="payment-element" />
          {declined && (
            <p class="error" role="alert" data-testid="payment-declined">
              {declined} {t('payment.tryAgain')}
            </p>
          )}
          <button type="submit" disabled={phase.kind !== 'ready'}>
            {phase.kind === 'paying' ? t('payment.paying') : t('payment.pay')}
          </button>
          <p class="muted">
            {t('payment.cookies')} (
            <a href={privacyLink(privacyPage)} {...newTab}>
              {t('payment.privacyPage')}
            </a>
            ).
          </p>
        </form>
      )}
    </section>
  );
}
