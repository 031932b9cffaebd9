import { useEffect, useState } from 'preact/hooks';
import { organizationAdminRoutes, type AdminPayment, type AdminPayments, type PaymentStatus } from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { dateTime, t, type StringKey } from '../strings.ts';
import { formatMoney, newRequestId, parseMoney } from './money.ts';

const STATUS: Record<PaymentStatus, StringKey> = {
  pending: 'payments.status.pending',
  authorized: 'payments.status.authorized',
  captured: 'payments.status.captured',
  partially_refunded: 'payments.status.partially_refunded',
  refunded: 'payments.status.refunded',
  released: 'payments.status.released',
};

/** The organization's card payments as the bookkeeping records hold them (no names), with refunds. */
export function PaymentsAdmin() {
  const [data, setData] = useState<AdminPayments | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const load = () => fetchRoute(organizationAdminRoutes.payments, {}).then(setData, () => setProblem(t('admin.failed')));
  useEffect(() => void load(), []);

  if (!data) return <p role="status">{problem ?? t('app.loading')}</p>;
  return (
    <section aria-labelledby="payments-heading">
      <h2 id="payments-heading">{t('payments.heading')}</h2>
      {!data.available && <p class="muted">{t('payments.unavailable')}</p>}
      <p class="muted">{t('payments.kept', { years: data.bookkeepingYears })}</p>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {data.payments.length === 0 ? (
        <p class="muted">{t('payments.none')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('payments.date')}</th>
              <th>{t('payments.amount')}</th>
              <th>{t('payments.statusHeading')}</th>
              <th>{t('payments.stripeId')}</th>
              <th>
                <span class="visually-hidden">{t('admin.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.payments.map((p) => (
              <PaymentRow key={p.paymentId} payment={p} onChanged={load} onProblem={setProblem} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function PaymentRow({ payment: p, onChanged, onProblem }: { payment: AdminPayment; onChanged: () => void; onProblem: (s: string | null) => void }) {
  const [amount, setAmount] = useState('');
  // One id per refund asked for: a double click or a retry after a network error refunds nothing more.
  const [requestId, setRequestId] = useState(newRequestId);
  const left = p.capturedAmount - p.refundedAmount;
  const refund = async (e: Event) => {
    e.preventDefault();
    const minor = amount.trim() === '' ? undefined : parseMoney(amount);
    if (minor === null || minor === 0) return onProblem(t('payments.priceInvalid'));
    const shown = formatMoney(minor ?? left, p.currency);
    if (!window.confirm(t('payments.confirmRefund', { amount: shown }))) return;
    onProblem(null);
    try {
      await fetchRoute(organizationAdminRoutes.refund, { params: { id: p.paymentId }, body: { ...(minor === undefined ? {} : { amount: minor }), requestId } });
      setAmount('');
      setRequestId(newRequestId());
    } catch (err) {
      onProblem(err instanceof ApiError && err.code === 'refund_too_large' ? t('payments.refundTooLarge', { amount: formatMoney(left, p.currency) }) : t('admin.failed'));
    }
    onChanged();
  };
  return (
    <tr>
      <td>{dateTime(p.createdAt, { dateStyle: 'short', timeStyle: 'short' })}</td>
      <td>
        {formatMoney(p.amount, p.currency)}
        {p.refundedAmount > 0 && <div class="muted">{t('payments.refunded', { amount: formatMoney(p.refundedAmount, p.currency) })}</div>}
      </td>
      <td>{t(STATUS[p.status])}</td>
      <td>
        <code>{p.stripeId}</code>
      </td>
      <td class="actions">
        {left > 0 && (
          <form onSubmit={refund} class="inline-form" aria-label={t('payments.refundOf', { id: p.stripeId })}>
            <label class="field">
              <span>{t('payments.refundAmount', { max: formatMoney(left, p.currency) })}</span>
              <input inputMode="decimal" value={amount} onInput={(e) => setAmount((e.currentTarget as HTMLInputElement).value)} />
            </label>
            <button type="submit" class="secondary danger">
              {t('payments.refund')}
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}
