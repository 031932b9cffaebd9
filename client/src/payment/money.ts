import { localeOf, type Currency, type Language } from '../../../signaling/protocol/index.ts';
import { i18n } from '../strings.ts';

/** Stripe's card form in the visitor's language: it has no nynorsk, so nynorsk readers get bokmål. */
export const stripeLocale = (language: Language): 'en' | 'nb' | 'sv' | 'da' => (language === 'nn' ? 'nb' : language);

/** An amount in minor units (øre, cent) as people read it: "650,00 kr". */
export const formatMoney = (minor: number, currency: Currency) =>
  new Intl.NumberFormat(localeOf(i18n.language()), { style: 'currency', currency }).format(minor / 100);
