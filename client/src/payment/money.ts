import type { Currency } from '../../../signaling/protocol/index.ts';
import { i18n } from '../strings.ts';

/** An amount in minor units (øre, cent) as people read it: "650,00 kr". */
export const formatMoney = (minor: number, currency: Currency) =>
  new Intl.NumberFormat(i18n.language() === 'nb' ? 'nb-NO' : 'en-GB', { style: 'currency', currency }).format(minor / 100);
