import { useEffect, useState } from 'preact/hooks';
import { localeOf, visitorRoutes, type PaymentReceipt, type PaymentStatus } from '../../../signaling/protocol/index.ts';
import { callRoute } from '../http/call-route.ts';
import { i18n, t, type StringKey } from '../strings.ts';
import { formatMoney } from './money.ts';

const STATUS: Record<PaymentStatus, StringKey> = {
  pending: 'receipt.status.pending',
  authorized: 'receipt.status.authorized',
  captured: 'receipt.status.captured',
  partially_refunded: 'receipt.status.partially_refunded',
  refunded: 'receipt.status.refunded',
  released: 'receipt.status.released',
};

/** The visitor's receipt after the call (as long as their visit is kept); nothing when there was no payment. */
/** `timeZone`: the organization's, whose clock the date is at. */
export function Receipt({ visitorToken, timeZone }: { visitorToken: string; timeZone: string }) {
  const [receipt, setReceipt] = useState<PaymentReceipt | null>(null);
  useEffect(() => {
    let gone = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The card is charged (or released) just after the visit ends: ask again a few times until it is.
    const load = (triesLeft: number) =>
      void callRoute(visitorRoutes.receipt, {}, { visitorToken })
        .then((res) => (res.ok ? res.data : null))
        .then(
          (r) => {
            if (gone) return;
            setReceipt(r);
            if (r && (r.status === 'authorized' || r.status === 'pending') && triesLeft > 0) timer = setTimeout(() => load(triesLeft - 1), 1500);
          },
          () => !gone && setReceipt(null),
        );
    load(20);
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, [visitorToken]);
  if (!receipt) return null;
  const date = new Date(receipt.date).toLocaleString(localeOf(i18n.language()), { dateStyle: 'long', timeStyle: 'short', timeZone });
  return (
    <section aria-labelledby="receipt-heading" class="receipt">
      <h2 id="receipt-heading">{t('receipt.heading')}</h2>
      <dl>
        <dt>{t('receipt.amount')}</dt>
        <dd>{formatMoney(receipt.amount, receipt.currency)}</dd>
        <dt>{t('receipt.status')}</dt>
        <dd>
          {t(STATUS[receipt.status])}
          {receipt.refundedAmount > 0 && ` (${t('receipt.refunded', { amount: formatMoney(receipt.refundedAmount, receipt.currency) })})`}
        </dd>
        <dt>{t('receipt.date')}</dt>
        <dd>{date}</dd>
        <dt>{t('receipt.reference')}</dt>
        <dd>
          <code>{receipt.reference}</code>
        </dd>
      </dl>
    </section>
  );
}
