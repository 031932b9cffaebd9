import { useState } from 'preact/hooks';
import { currency as currencySchema, organizationAdminRoutes, type Currency, type RoomPrice } from '../../../signaling/protocol/index.ts';
import { fetchRoute } from '../api.ts';
import { t } from '../strings.ts';
import { formatMoney, parseMoney } from './money.ts';
import { usePaymentsAvailable } from './payments-availability.ts';

/** A room's price: visitors pay it by card before they wait. Empty: the room is free. */
export function RoomPriceEditor({ roomId, roomName, price, act }: {
  roomId: string;
  roomName: string;
  price: RoomPrice | null;
  act: (action: () => Promise<void>) => Promise<void>;
}) {
  const available = usePaymentsAvailable();
  const [amount, setAmount] = useState(price ? String(price.amount / 100) : '');
  const [currency, setCurrency] = useState<Currency>(price?.currency ?? 'NOK');
  const [invalid, setInvalid] = useState(false);
  if (available === null) return null;
  if (!available) return <p class="muted">{t('payments.unavailable')}</p>;

  const save = (e: Event) => {
    e.preventDefault();
    const minor = amount.trim() === '' ? null : parseMoney(amount);
    setInvalid(minor === 0 || (amount.trim() !== '' && minor === null));
    if (minor === 0 || (amount.trim() !== '' && minor === null)) return;
    void act(async () => {
      await fetchRoute(organizationAdminRoutes.setRoomPrice, { params: { id: roomId }, body: { price: minor === null ? null : { amount: minor, currency } } });
    });
  };

  return (
    <form onSubmit={save} class="inline-form" aria-label={t('payments.priceOf', { name: roomName })}>
      <label class="field">
        <span>{t('payments.price')}</span>
        <input inputMode="decimal" value={amount} aria-invalid={invalid} onInput={(e) => setAmount((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <label class="field">
        <span>{t('payments.currency')}</span>
        <select value={currency} onChange={(e) => setCurrency((e.currentTarget as HTMLSelectElement).value as Currency)}>
          {currencySchema.options.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="secondary">
        {t('payments.savePrice')}
      </button>
      <p class="muted">{price ? t('payments.priceNow', { price: formatMoney(price.amount, price.currency) }) : t('payments.free')}</p>
      {invalid && (
        <p class="error" role="alert">
          {t('payments.priceInvalid')}
        </p>
      )}
    </form>
  );
}
