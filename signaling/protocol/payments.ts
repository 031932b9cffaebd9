import { z } from 'zod';
import { language } from './language.ts';
import { id } from './common.ts';
import { privacyPagePathSchema } from './privacy.ts';

/** The currencies a room's price may be in (the Nordic clinics' own, and euro). */
export const currency = z.enum(['NOK', 'SEK', 'DKK', 'EUR']);
export type Currency = z.infer<typeof currency>;

/**
 * The most a room may cost, in minor units (øre, cent): a sanity bound against a typo adding zeros, not a
 * business rule. 100 000 NOK/SEK/DKK/EUR.
 */
export const PRICE_MAX_MINOR = 10_000_000;

/** A room's price in minor units (øre, cent): 100 = 1 krone. At least 1 krone/euro (Stripe refuses less). */
export const roomPrice = z.strictObject({
  amount: z.number().int().min(100).max(PRICE_MAX_MINOR),
  currency,
});
export type RoomPrice = z.infer<typeof roomPrice>;

/** PUT /api/admin/rooms/:id/price: null makes the room free. */
export const roomPriceRequest = z.strictObject({ price: roomPrice.nullable() });

/** The bookkeeping period in years after the end of the payment's financial year (Norway 5, Sweden 7). */
export const bookkeepingYears = z.number().int().min(1).max(10);
export const DEFAULT_BOOKKEEPING_YEARS = 5;

/** POST /api/payments/visitor: what the browser needs to mount Stripe's Payment Element. */
export interface PaymentAuthorization {
  clientSecret: string;
  publishableKey: string;
  amount: number;
  currency: Currency;
}

/**
 * A payment as our records have it. Statuses only move forward (pending -> authorized -> captured ->
 * refunded; or -> released), whatever order Stripe's events arrive in.
 */
export const paymentStatus = z.enum(['pending', 'authorized', 'captured', 'partially_refunded', 'refunded', 'released']);
export type PaymentStatus = z.infer<typeof paymentStatus>;

/** GET /api/payments/receipt (the visitor's own, by their token, also after the visit ended). */
export interface PaymentReceipt {
  amount: number;
  currency: Currency;
  status: PaymentStatus;
  /** When the card was charged (captured), or else authorized. */
  date: number;
  /** Stripe's id of the payment, for the visitor to quote. */
  reference: string;
  refundedAmount: number;
}

/** GET /api/admin/payments: a transaction as the bookkeeping record holds it (no name, no phone, no visitor). */
export interface AdminPayment {
  paymentId: string;
  stripeId: string;
  amount: number;
  currency: Currency;
  status: PaymentStatus;
  createdAt: number;
  capturedAmount: number;
  refundedAmount: number;
}
export interface AdminPayments {
  /** False: this server has no Stripe account set up; card payment is not available. */
  available: boolean;
  bookkeepingYears: number;
  payments: AdminPayment[];
}

/**
 * POST /api/admin/payments/:id/refund. No amount: all that is left. `requestId` (made by the dashboard
 * once per refund the admin asks for) makes a repeated request refund nothing more.
 */
export const refundRequest = z.strictObject({
  amount: z.number().int().min(1).max(PRICE_MAX_MINOR).optional(),
  requestId: id.optional(),
});
export type RefundRequest = z.infer<typeof refundRequest>;

// ---------- Stripe webhooks (checked after the signature) ----------

export const stripeIntentId = z.string().regex(/^pi_[A-Za-z0-9]{8,64}$/);
const minor = z.number().int().min(0);

/** The envelope of every event; its object is read by type below. Stripe adds fields over time: not strict. */
export const stripeEvent = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9]{8,64}$/),
  type: z.string().max(100),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

export const stripeIntentStatus = z.enum([
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'succeeded',
  'canceled',
]);

/** A PaymentIntent in `payment_intent.*` events: ours carry our ids in metadata. */
export const stripeIntentObject = z.object({
  id: stripeIntentId,
  object: z.literal('payment_intent'),
  status: stripeIntentStatus,
  amount: minor,
  amount_received: minor,
  metadata: z.object({ orgId: id, paymentId: id }),
});

/** A charge in `charge.refunded` events: its intent tells whose payment it is. */
export const stripeChargeObject = z.object({
  id: z.string().regex(/^ch_[A-Za-z0-9]{8,64}$/),
  object: z.literal('charge'),
  payment_intent: stripeIntentId,
  amount_captured: minor,
  amount_refunded: minor,
});

// ---------- the payment frame ----------

/**
 * The card is taken in a same-origin frame of its own (`<visit link>/pay`), the only page where Stripe.js
 * loads and the CSP allows Stripe: the frame goes when the step is done, and Stripe.js with it, before the
 * waiting room and the encrypted call. The frame and the visitor app talk by postMessage, each accepting
 * only these messages, only from the other (same origin, the expected window).
 */
export const PAY_FRAME_PATH = 'pay';
export const PAY_FRAME_SOURCE = 'consult-pay-frame';

/** From the frame to the visitor app. `ready`: loaded (again, after a bank's redirect), send `start`. */
export const payFrameMessage = z.discriminatedUnion('type', [
  z.strictObject({ source: z.literal(PAY_FRAME_SOURCE), type: z.literal('ready') }),
  z.strictObject({ source: z.literal(PAY_FRAME_SOURCE), type: z.literal('authorized') }),
  /** The frame's content height (px), so the visitor app sizes it without scrollbars. */
  z.strictObject({ source: z.literal(PAY_FRAME_SOURCE), type: z.literal('height'), height: z.number().int().min(0).max(20_000) }),
]);
export type PayFrameMessage = z.infer<typeof payFrameMessage>;

/** From the visitor app to the frame: whose payment, in which language. */
export const payFrameStart = z.strictObject({
  source: z.literal(PAY_FRAME_SOURCE),
  type: z.literal('start'),
  visitorToken: z.string().min(1).max(200),
  language,
  /** The organization's privacy page, which the frame's note on Stripe's cookies links to. */
  privacyPage: privacyPagePathSchema,
});
export type PayFrameStart = z.infer<typeof payFrameStart>;
