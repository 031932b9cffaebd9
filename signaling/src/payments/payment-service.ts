import type { Redis } from 'ioredis';
import Stripe from 'stripe';
import {
  stripeChargeObject,
  stripeEvent,
  stripeIntentObject,
  type AdminPayment,
  type Currency,
  type PaymentAuthorization,
  type PaymentReceipt,
  type PaymentStatus,
  type RefundRequest,
  type RoomPrice,
} from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { advancePayment, claimSettlement, recordIntent, reservePayment, retainPayment, takeLease } from './payment-scripts.ts';
import { newId } from '../ids.ts';
import { AppError, notFound } from '../errors.ts';
import type { DomainEvents } from '../events/domain-events.ts';
import type { Logger } from '../logger.ts';
import type { Visitor } from '../waiting-room/waiting-room-store.ts';
import { bookkeepingExpiry } from './bookkeeping.ts';
import type { StripeAccount } from './stripe-client.ts';

/** How long one process may take over settling a visit's payment or refunding one before another may. */
const LEASE_MS = 60_000;
/** A webhook event id is remembered this long: longer than Stripe retries an event (3 days). */
const EVENT_TTL_MS = 30 * 86_400_000;
/** How long Stripe's signature on a webhook may be old. */
const WEBHOOK_TOLERANCE_S = 300;

export type SettleOutcome = 'captured' | 'released' | 'none' | 'busy';

/** A payment's bookkeeping record: what admins see, and when the card was authorized and charged. */
interface Transaction extends AdminPayment {
  authorizedAt?: number;
  capturedAt?: number;
}

/** What a Stripe intent's status means for our record. */
function statusOfIntent(status: Stripe.PaymentIntent.Status): PaymentStatus {
  if (status === 'requires_capture') return 'authorized';
  if (status === 'succeeded') return 'captured';
  if (status === 'canceled') return 'released';
  return 'pending';
}

/**
 * Card payment of a consultation through Stripe: the card is authorized (a PaymentIntent with manual
 * capture) while the visitor checks in, captured once when a visit with an admission ends, released
 * otherwise; admins refund. Stripe is the truth about the money; our records follow it forward only.
 */
export class PaymentService {
  constructor(
    private readonly redis: Redis,
    private readonly stripe: StripeAccount | null,
    private readonly log: Logger,
    /** Told of each capture this service makes (payment.captured), after Stripe confirmed it. */
    private readonly events?: DomainEvents,
  ) {}

  /** Whether this server can take card payments at all. */
  get available(): boolean {
    return this.stripe !== null;
  }

  private account(): StripeAccount {
    if (!this.stripe) throw new AppError('payments_unavailable', 'card payment is not set up on this server');
    return this.stripe;
  }

  /**
   * The visitor's PaymentIntent for the room's price, made once: a retry (a reload, a double click, two
   * tabs) answers the same intent, never a second one (our record is reserved first, and Stripe gets an
   * idempotency key made from it). Only for a visitor still checking in.
   */
  async authorize(visitor: Visitor, price: RoomPrice, bookkeepingYears: number, now = Date.now()): Promise<PaymentAuthorization> {
    const { api, publishableKey } = this.account();
    const { orgId } = visitor;
    const reserved = await reservePayment.run(this.redis, {
      keys: { visitor: keys.visitor(orgId, visitor.id), payment: keys.payment(orgId, visitor.id) },
      args: { paymentId: newId(), amount: price.amount, currency: price.currency, now },
    });
    if (reserved === 'not_found') throw notFound();
    const payment = reserved as { paymentId: string; intentId: string; amount: number; currency: Currency };
    let intent: Stripe.PaymentIntent;
    if (payment.intentId) {
      intent = await api.paymentIntents.retrieve(payment.intentId);
    } else {
      intent = await api.paymentIntents.create(
        {
          amount: payment.amount,
          currency: payment.currency.toLowerCase(),
          capture_method: 'manual',
          automatic_payment_methods: { enabled: true },
          // Opaque ids only: Stripe learns nothing of who the visitor is or why they came.
          metadata: { orgId, visitorId: visitor.id, paymentId: payment.paymentId },
        },
        { idempotencyKey: `consult-payment-${payment.paymentId}` },
      );
      await recordIntent.run(this.redis, {
        keys: { payment: keys.payment(orgId, visitor.id), transaction: keys.transaction(orgId, payment.paymentId), transactions: keys.transactions(orgId) },
        args: { paymentId: payment.paymentId, intentId: intent.id, amount: payment.amount, currency: payment.currency, now, expiresAt: bookkeepingExpiry(now, bookkeepingYears) },
      });
      this.log.info({ orgId, paymentId: payment.paymentId }, 'payment started');
    }
    // Paid already or given up: nothing more to pay here.
    if (intent.status === 'canceled' || intent.status === 'succeeded' || !intent.client_secret) throw notFound();
    return { clientSecret: intent.client_secret, publishableKey, amount: payment.amount, currency: payment.currency };
  }

  /** Whether the visitor's card is authorized for their payment, as Stripe says (never the browser's word). */
  async isAuthorized(orgId: string, visitorId: string): Promise<boolean> {
    if (!this.stripe) return false;
    const [paymentId, intentId, amount] = await this.redis.hmget(keys.payment(orgId, visitorId), 'paymentId', 'intentId', 'amount');
    if (!paymentId || !intentId) return false;
    const intent = await this.stripe.api.paymentIntents.retrieve(intentId);
    const authorized =
      intent.status === 'requires_capture' && intent.amount_capturable >= Number(amount) && intent.metadata.visitorId === visitorId && intent.metadata.orgId === orgId;
    if (authorized) {
      await this.advance(orgId, paymentId, visitorId, 'authorized', 0, 0);
      // Noted until it is settled: if the process settling it dies, the purge job's sweep still does it.
      const retention = Number(await this.redis.hget(keys.organization(orgId), 'retentionMs')) || 86_400_000;
      await this.redis.multi().zadd(keys.unsettledPayments(orgId), Date.now(), visitorId).pexpire(keys.unsettledPayments(orgId), retention).exec();
      // Asked as the visitor enters the line: from here their record is kept the retention period, and so is this.
      await retainPayment.run(this.redis, { keys: { org: keys.organization(orgId), payment: keys.payment(orgId, visitorId) } });
    }
    return authorized;
  }

  /**
   * A visit ended: its payment is captured if the visitor was admitted, released otherwise. The first
   * decision stands (an admission after a "release" charges nothing, and one after a "capture" charges no
   * more); the capture itself carries an idempotency key, so however many times and from however many
   * processes this runs, the card is charged at most once. `busy`: another process is settling it now.
   */
  async settleVisit(orgId: string, visitorId: string, outcome: { admitted: boolean }, now = Date.now()): Promise<SettleOutcome> {
    if (!this.stripe) return 'none';
    const paymentKey = keys.payment(orgId, visitorId);
    const claim = await claimSettlement.run(this.redis, { keys: { payment: paymentKey }, args: { decision: outcome.admitted ? 'capture' : 'release', now, leaseMs: LEASE_MS } });
    if (claim === 'none') return 'none';
    const { step, decision } = claim;
    if (step === 'busy') return 'busy';
    const [paymentId, intentId, amount, status, currency] = await this.redis.hmget(paymentKey, 'paymentId', 'intentId', 'amount', 'status', 'currency');
    if (step === 'done') return status === 'released' || status === 'pending' ? 'released' : 'captured';
    let settled: Exclude<SettleOutcome, 'busy' | 'none'> = 'released';
    try {
      if (intentId) {
        const { api } = this.stripe;
        let intent = await api.paymentIntents.retrieve(intentId);
        if (decision === 'capture' && intent.status === 'requires_capture') {
          intent = await api.paymentIntents.capture(intentId, { amount_to_capture: Number(amount) }, { idempotencyKey: `consult-capture-${paymentId}` });
        } else if (intent.status !== 'succeeded' && intent.status !== 'canceled') {
          intent = await api.paymentIntents.cancel(intentId, {}, { idempotencyKey: `consult-release-${paymentId}` });
        }
        settled = intent.status === 'succeeded' ? 'captured' : 'released';
        await this.advance(orgId, paymentId!, visitorId, statusOfIntent(intent.status), intent.amount_received, 0);
      }
      await this.redis.multi().hset(paymentKey, 'settled', '1').hdel(paymentKey, 'lease').zrem(keys.unsettledPayments(orgId), visitorId).exec();
      // (HSET on a key that expired meanwhile would make a record without TTL: the visitor's data is gone then.)
      if ((await this.redis.pttl(paymentKey)) < 0) await this.redis.del(paymentKey);
      // Kept, for the receipt, as long as the rest of the ended visit.
      else await retainPayment.run(this.redis, { keys: { org: keys.organization(orgId), payment: paymentKey } });
    } catch (error) {
      await this.redis.hdel(paymentKey, 'lease');
      throw error;
    }
    this.log.info({ orgId, paymentId, outcome: settled }, 'payment settled');
    void this.events?.publish('payment.settled', { orgId, visitorId, outcome: settled, amount: Number(amount), ...(currency ? { currency } : {}), settledAt: Date.now() });
    return settled;
  }

  /**
   * The safety net for settling: a visit that ended (or a check-in abandoned, or a visitor erased) more
   * than `graceMs` ago whose card is still held gets settled now, as the visit's end would have done had
   * its process lived: captured after an admission, released otherwise. Answers how many were settled.
   */
  async sweepUnsettled(orgId: string, now = Date.now(), graceMs = 120_000): Promise<number> {
    if (!this.stripe) return 0;
    const due = await this.redis.zrangebyscore(keys.unsettledPayments(orgId), '-inf', now - graceMs, 'LIMIT', 0, 100);
    let settled = 0;
    for (const visitorId of due) {
      const [state, admittedAt] = await this.redis.hmget(keys.visitor(orgId, visitorId), 'state', 'admittedAt');
      // Still checking in, waiting or in a call: their visit's end will settle it.
      if (state === 'checking_in' || state === 'waiting' || state === 'in_call') continue;
      const outcome = await this.settleVisit(orgId, visitorId, { admitted: !!admittedAt }, now).catch((err: Error) => {
        this.log.warn({ orgId, err: err.message }, 'payment sweep: could not settle; trying again next pass');
        return 'busy' as const;
      });
      if (outcome === 'none') await this.redis.zrem(keys.unsettledPayments(orgId), visitorId);
      if (outcome === 'captured' || outcome === 'released') settled++;
    }
    return settled;
  }

  /** The visitor's receipt, as long as their visit is kept. */
  async receipt(visitor: Visitor): Promise<PaymentReceipt> {
    const paymentId = await this.redis.hget(keys.payment(visitor.orgId, visitor.id), 'paymentId');
    const t = paymentId ? await this.transaction(visitor.orgId, paymentId) : null;
    if (!t) throw notFound('no payment');
    return {
      amount: t.amount,
      currency: t.currency,
      status: t.status,
      date: t.capturedAt ?? t.authorizedAt ?? t.createdAt,
      reference: t.stripeId,
      refundedAmount: t.refundedAmount,
    };
  }

  /** The organization's payments, newest first (what the bookkeeping records hold). */
  async list(orgId: string, now = Date.now(), limit = 500): Promise<AdminPayment[]> {
    const index = keys.transactions(orgId);
    await this.redis.zremrangebyscore(index, '-inf', String(now));
    const ids = await this.redis.zrange(index, '0', '-1');
    const found = (await Promise.all(ids.map((id) => this.transaction(orgId, id)))).filter((t): t is Transaction => t !== null);
    return found
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit)
      .map((t) => ({
        paymentId: t.paymentId,
        stripeId: t.stripeId,
        amount: t.amount,
        currency: t.currency,
        status: t.status,
        createdAt: t.createdAt,
        capturedAmount: t.capturedAmount,
        refundedAmount: t.refundedAmount,
      }));
  }

  /**
   * Refunds a captured payment, all that is left or `amount` of it, never more than was captured and not
   * refunded yet. One refund of a payment at a time; a repeated request (same `requestId`) refunds nothing
   * more, and asking for "all that is left" when nothing is left changes nothing.
   */
  async refund(orgId: string, paymentId: string, req: RefundRequest, now = Date.now()): Promise<AdminPayment> {
    const { api } = this.account();
    const key = keys.transaction(orgId, paymentId);
    const lease = await takeLease.run(this.redis, { keys: { record: key }, args: { now, leaseMs: LEASE_MS } });
    if (lease === 'not_found') throw notFound('no such payment');
    if (lease === 'busy') throw new AppError('refund_too_large', 'another refund of this payment is under way; try again shortly');
    try {
      const t = (await this.transaction(orgId, paymentId))!;
      const done = req.requestId ? await this.redis.hget(key, `refund:${req.requestId}`) : null;
      const left = t.capturedAmount - t.refundedAmount;
      if (!done && !(req.amount === undefined && t.status === 'refunded')) {
        if (left <= 0) throw new AppError('refund_too_large', 'nothing charged is left to refund');
        if (req.amount !== undefined && req.amount > left) throw new AppError('refund_too_large', `at most ${left} can be refunded`);
        const amount = req.amount ?? left;
        const refund = await api.refunds
          .create(
            { payment_intent: t.stripeId, amount, metadata: { orgId, paymentId } },
            { idempotencyKey: `consult-refund-${paymentId}-${req.requestId ?? `${t.refundedAmount}-${amount}`}` },
          )
          .catch((error: unknown) => {
            if (error instanceof Stripe.errors.StripeInvalidRequestError) throw new AppError('refund_too_large', 'Stripe refused the refund');
            throw error;
          });
        await this.advance(orgId, paymentId, null, 'captured', t.capturedAmount, t.refundedAmount + refund.amount);
        if (req.requestId) await this.redis.hset(key, `refund:${req.requestId}`, refund.id);
        this.log.info({ orgId, paymentId, amount: refund.amount }, 'payment refunded');
      }
    } finally {
      await this.redis.hdel(key, 'lease');
    }
    const after = (await this.transaction(orgId, paymentId))!;
    return {
      paymentId,
      stripeId: after.stripeId,
      amount: after.amount,
      currency: after.currency,
      status: after.status,
      createdAt: after.createdAt,
      capturedAmount: after.capturedAmount,
      refundedAmount: after.refundedAmount,
    };
  }

  /**
   * A Stripe webhook: the signature over the exact bytes is checked first (a bad one changes nothing), then
   * the event is applied once (by its id), forward only. Events about payments that are not ours are
   * acknowledged and ignored.
   */
  async applyWebhook(rawBody: Buffer, signature: string | undefined, now = Date.now()): Promise<'applied' | 'duplicate' | 'ignored'> {
    const { api, webhookSecret } = this.account();
    let verified: unknown;
    try {
      verified = api.webhooks.constructEvent(rawBody, signature ?? '', webhookSecret, WEBHOOK_TOLERANCE_S);
    } catch {
      throw new AppError('bad_request', 'webhook signature does not verify');
    }
    const parsed = stripeEvent.safeParse(verified);
    if (!parsed.success) throw new AppError('bad_request', 'not a Stripe event');
    const event = parsed.data;
    let news: { orgId: string; paymentId: string; visitorId: string | null; status: PaymentStatus; captured: number; refunded: number } | null = null;
    if (event.type.startsWith('payment_intent.')) {
      const pi = stripeIntentObject.safeParse(event.data.object);
      if (pi.success) {
        const { orgId, paymentId } = pi.data.metadata;
        const visitorId = typeof event.data.object.metadata === 'object' ? ((event.data.object.metadata as Record<string, unknown>).visitorId as string) : null;
        news = { orgId, paymentId, visitorId: visitorId ?? null, status: statusOfIntent(pi.data.status), captured: pi.data.amount_received, refunded: 0 };
      }
    } else if (event.type === 'charge.refunded' || event.type === 'charge.refund.updated') {
      const charge = stripeChargeObject.safeParse(event.data.object);
      if (charge.success) {
        // A charge carries no metadata of ours: its intent does.
        const pi = stripeIntentObject.safeParse(await api.paymentIntents.retrieve(charge.data.payment_intent));
        if (pi.success) {
          const { orgId, paymentId } = pi.data.metadata;
          news = { orgId, paymentId, visitorId: null, status: 'captured', captured: charge.data.amount_captured, refunded: charge.data.amount_refunded };
        }
      }
    }
    if (!news) return 'ignored';
    const result = await this.advance(news.orgId, news.paymentId, news.visitorId, news.status, news.captured, news.refunded, event.id, now);
    if (result === 'not_found') return 'ignored';
    if (result === 'ok') this.log.info({ orgId: news.orgId, paymentId: news.paymentId, event: event.type }, 'Stripe event applied');
    return result === 'duplicate' ? 'duplicate' : 'applied';
  }

  private advance(orgId: string, paymentId: string, visitorId: string | null, status: PaymentStatus, captured: number, refunded: number, eventId?: string, now = Date.now()) {
    return advancePayment.run(this.redis, {
      keys: { transaction: keys.transaction(orgId, paymentId), payment: keys.payment(orgId, visitorId ?? 'none'), event: keys.stripeEvent(orgId, eventId ?? 'none') },
      args: { status, captured, refunded, now, eventTtl: eventId ? EVENT_TTL_MS : 0 },
    });
  }

  private async transaction(orgId: string, paymentId: string): Promise<Transaction | null> {
    const h = await this.redis.hgetall(keys.transaction(orgId, paymentId));
    if (!h.paymentId) return null;
    const at = (v: string | undefined) => (v ? Number(v) : undefined);
    return {
      paymentId: h.paymentId,
      stripeId: h.stripeId!,
      amount: Number(h.amount),
      currency: h.currency as Currency,
      status: h.status as PaymentStatus,
      createdAt: Number(h.createdAt),
      capturedAmount: Number(h.capturedAmount),
      refundedAmount: Number(h.refundedAmount),
      authorizedAt: at(h.authorizedAt),
      capturedAt: at(h.capturedAt),
    };
  }
}
