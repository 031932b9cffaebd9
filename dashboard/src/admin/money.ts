import type { Currency } from '../../../signaling/protocol/index.ts';
import { locale } from '../strings.ts';

/** An amount in minor units (øre, cent) as people read it: "650,00 kr". */
export const formatMoney = (minor: number, currency: Currency) => new Intl.NumberFormat(locale(), { style: 'currency', currency }).format(minor / 100);

/** What an admin typed ("650", "650,50", "650.5") in minor units, or null when it is not an amount. */
export function parseMoney(typed: string): number | null {
  const m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(typed);
  return m ? Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0')) : null;
}

/** A fresh id for one refund the admin asks for, so a repeated click refunds nothing more. */
export const newRequestId = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
