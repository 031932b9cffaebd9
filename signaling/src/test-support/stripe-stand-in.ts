import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/*
 * A local stand-in for the part of Stripe's API we use, for the real `stripe` SDK (pointed here with
 * `new Stripe(key, {host, port, protocol})`) and for the fake Stripe.js of browser tests. PaymentIntents
 * (create with Idempotency-Key replay, retrieve, confirm, capture, cancel), refunds, and the events Stripe
 * would send, delivered to our webhook on demand (signed as Stripe signs them), in any order, any number of
 * times. Test payment methods as Stripe's own test mode names them:
 *   pm_card_visa                     -> authorized (requires_capture with manual capture)
 *   pm_card_chargeDeclined           -> 402 card_declined; the intent asks for another card
 *   pm_card_threeDSecure2Required    -> requires_action, until completeAuthentication(intentId)
 */

export const TEST_CARDS = {
  visa: 'pm_card_visa',
  declined: 'pm_card_chargeDeclined',
  threeDSecure: 'pm_card_threeDSecure2Required',
} as const;

export interface StandInIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'requires_capture' | 'succeeded' | 'canceled';
  capture_method: string;
  client_secret: string;
  metadata: Record<string, string>;
  amount_capturable: number;
  amount_received: number;
  latest_charge: string | null;
  last_payment_error: { code: string; message: string; type: string } | null;
  next_action: { type: string } | null;
  created: number;
  livemode: false;
  /** Not Stripe's: what has been refunded of it. */
  amountRefunded: number;
}

export interface StandInEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  api_version: string;
  livemode: false;
  data: { object: Record<string, unknown> };
}

export interface LoggedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  body: Record<string, unknown>;
}

const rid = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** Stripe's form encoding (`metadata[orgId]=…`, `automatic_payment_methods[enabled]=true`) as nested objects. */
function parseForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = rawKey.split(/[[\]]+/).filter(Boolean);
    let node = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Record<string, unknown>;
    });
  }
  return out;
}

export async function startStripeStandIn(opts: { secretKey: string; publishableKey: string }) {
  const intents = new Map<string, StandInIntent>();
  /** Idempotency-Key -> the first answer (replayed as is, as Stripe does for 24 hours). */
  const idempotent = new Map<string, { path: string; body: string; status: number; answer: unknown }>();
  const events: StandInEvent[] = [];
  const requests: LoggedRequest[] = [];

  const event = (type: string, object: object) => {
    const { amountRefunded: _, ...stripeShape } = object as StandInIntent;
    events.push({ id: rid('evt'), object: 'event', type, created: Math.floor(Date.now() / 1000), api_version: Stripe.API_VERSION, livemode: false, data: { object: structuredClone(stripeShape) } });
  };
  const chargeOf = (pi: StandInIntent) => ({
    id: pi.latest_charge,
    object: 'charge',
    payment_intent: pi.id,
    amount: pi.amount,
    amount_captured: pi.amount_received,
    amount_refunded: pi.amountRefunded,
    refunded: pi.amountRefunded === pi.amount_received,
    currency: pi.currency,
  });
  const publicIntent = (pi: StandInIntent) => {
    const { amountRefunded: _, ...rest } = pi;
    return rest;
  };

  class StripeError {
    constructor(
      readonly status: number,
      readonly error: Record<string, unknown>,
    ) {}
  }
  const invalid = (message: string, code = 'parameter_invalid') => new StripeError(400, { type: 'invalid_request_error', code, message });
  const missing = (id: string) => new StripeError(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such payment_intent: '${id}'` });

  function intentOf(id: string): StandInIntent {
    const pi = intents.get(id);
    if (!pi) throw missing(id);
    return pi;
  }

  /** Whether the caller may act: the secret key, or (as Stripe.js does) the publishable key with the intent's client secret. */
  function authorize(req: http.IncomingMessage, pi: StandInIntent | null, body: Record<string, unknown>, query: URLSearchParams): 'secret' | 'public' {
    // Stripe.js sends its publishable key as a `key` parameter rather than a header.
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? body.key ?? query.get('key');
    if (bearer === opts.secretKey) return 'secret';
    const clientSecret = body.client_secret ?? query.get('client_secret');
    if (bearer === opts.publishableKey && pi && clientSecret === pi.client_secret) return 'public';
    throw new StripeError(401, { type: 'invalid_request_error', message: 'Invalid API Key provided' });
  }

  function confirm(pi: StandInIntent, paymentMethod: unknown): StandInIntent {
    if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(pi.status)) {
      throw invalid(`This PaymentIntent's status is ${pi.status}`, 'payment_intent_unexpected_state');
    }
    if (paymentMethod === TEST_CARDS.declined) {
      pi.status = 'requires_payment_method';
      pi.last_payment_error = { code: 'card_declined', type: 'card_error', message: 'Your card was declined.' };
      event('payment_intent.payment_failed', pi);
      throw new StripeError(402, {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        message: 'Your card was declined.',
        payment_intent: publicIntent(pi),
      });
    }
    if (paymentMethod === TEST_CARDS.threeDSecure) {
      pi.status = 'requires_action';
      pi.next_action = { type: 'use_stripe_sdk' };
      event('payment_intent.requires_action', pi);
      return pi;
    }
    if (paymentMethod !== TEST_CARDS.visa) throw invalid(`No such PaymentMethod: '${String(paymentMethod)}'`, 'resource_missing');
    authorizeCard(pi);
    return pi;
  }

  function authorizeCard(pi: StandInIntent) {
    pi.last_payment_error = null;
    pi.next_action = null;
    pi.latest_charge = rid('ch');
    if (pi.capture_method === 'manual') {
      pi.status = 'requires_capture';
      pi.amount_capturable = pi.amount;
      event('payment_intent.amount_capturable_updated', pi);
    } else {
      pi.status = 'succeeded';
      pi.amount_received = pi.amount;
      event('payment_intent.succeeded', pi);
    }
  }

  function route(req: http.IncomingMessage, path: string, query: URLSearchParams, body: Record<string, unknown>): { status: number; answer: unknown } {
    const m = /^\/v1\/payment_intents(?:\/([^/]+))?(?:\/(confirm|capture|cancel))?$/.exec(path);
    if (m && req.method === 'POST' && !m[1]) {
      authorize(req, null, body, query) === 'secret' || (() => { throw invalid('secret key required'); })();
      const amount = Number(body.amount);
      if (!Number.isInteger(amount) || amount < 1) throw invalid('Invalid integer: amount');
      if (typeof body.currency !== 'string') throw invalid('Missing required param: currency');
      const id = rid('pi');
      const pi: StandInIntent = {
        id,
        object: 'payment_intent',
        amount,
        currency: body.currency,
        status: 'requires_payment_method',
        capture_method: String(body.capture_method ?? 'automatic_async'),
        client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
        metadata: (body.metadata ?? {}) as Record<string, string>,
        amount_capturable: 0,
        amount_received: 0,
        latest_charge: null,
        last_payment_error: null,
        next_action: null,
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        amountRefunded: 0,
      };
      intents.set(id, pi);
      event('payment_intent.created', pi);
      return { status: 200, answer: publicIntent(pi) };
    }
    if (m && m[1]) {
      const pi = intentOf(m[1]);
      const who = authorize(req, pi, body, query);
      if (req.method === 'GET' && !m[2]) return { status: 200, answer: publicIntent(pi) };
      if (req.method === 'POST' && m[2] === 'confirm') return { status: 200, answer: publicIntent(confirm(pi, body.payment_method)) };
      if (who !== 'secret') throw new StripeError(401, { type: 'invalid_request_error', message: 'secret key required' });
      if (req.method === 'POST' && m[2] === 'capture') {
        if (pi.status !== 'requires_capture') throw invalid(`This PaymentIntent could not be captured because it has a status of ${pi.status}.`, 'payment_intent_unexpected_state');
        const amount = body.amount_to_capture === undefined ? pi.amount_capturable : Number(body.amount_to_capture);
        if (!Number.isInteger(amount) || amount < 1 || amount > pi.amount_capturable) throw invalid('amount_to_capture is invalid');
        pi.status = 'succeeded';
        pi.amount_received = amount;
        pi.amount_capturable = 0;
        event('payment_intent.succeeded', pi);
        return { status: 200, answer: publicIntent(pi) };
      }
      if (req.method === 'POST' && m[2] === 'cancel') {
        if (pi.status === 'succeeded' || pi.status === 'canceled') {
          throw invalid(`You cannot cancel this PaymentIntent because it has a status of ${pi.status}.`, 'payment_intent_unexpected_state');
        }
        pi.status = 'canceled';
        pi.amount_capturable = 0;
        event('payment_intent.canceled', pi);
        return { status: 200, answer: publicIntent(pi) };
      }
    }
    // Not Stripe's: the test's stand-in for the bank's 3-D Secure page (the fake Stripe.js calls it).
    const threeDs = /^\/stand-in\/payment_intents\/([^/]+)\/authenticate$/.exec(path);
    if (threeDs && req.method === 'POST') {
      const pi = intentOf(threeDs[1]!);
      authorize(req, pi, body, query);
      if (pi.status !== 'requires_action') throw invalid(`intent is ${pi.status}`);
      if (body.passed === 'false') {
        pi.status = 'requires_payment_method';
        pi.last_payment_error = { code: 'payment_intent_authentication_failure', type: 'card_error', message: 'We are unable to authenticate your payment method.' };
      } else authorizeCard(pi);
      return { status: 200, answer: publicIntent(pi) };
    }
    if (path === '/v1/refunds' && req.method === 'POST') {
      if (authorize(req, null, body, query) !== 'secret') throw invalid('secret key required');
      const pi = intentOf(String(body.payment_intent));
      if (pi.status !== 'succeeded') throw invalid('This PaymentIntent has not been charged', 'charge_not_refundable');
      const left = pi.amount_received - pi.amountRefunded;
      const amount = body.amount === undefined ? left : Number(body.amount);
      if (!Number.isInteger(amount) || amount < 1 || amount > left) {
        throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, 'amount_too_large');
      }
      pi.amountRefunded += amount;
      const refund = { id: rid('re'), object: 'refund', amount, currency: pi.currency, payment_intent: pi.id, charge: pi.latest_charge, status: 'succeeded', metadata: body.metadata ?? {} };
      event('charge.refunded', chargeOf(pi));
      return { status: 200, answer: refund };
    }
    throw new StripeError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${path})` });
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      // Stripe.js sends its calls cross-origin from the visitor's page.
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-allow-headers', 'authorization, content-type, idempotency-key, stripe-version');
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
      const body = parseForm(raw);
      const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
      requests.push({ method: req.method ?? '', path: url.pathname, idempotencyKey, body });
      const send = (status: number, answer: unknown, replayed = false) => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': rid('req'), ...(replayed ? { 'idempotent-replayed': 'true' } : {}) });
        res.end(JSON.stringify(answer));
      };
      if (req.method === 'POST' && idempotencyKey) {
        const seen = idempotent.get(idempotencyKey);
        if (seen) {
          if (seen.path !== url.pathname || seen.body !== raw) {
            return send(400, { error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } });
          }
          return send(seen.status, seen.answer, true);
        }
      }
      let status: number;
      let answer: unknown;
      try {
        ({ status, answer } = route(req, url.pathname, url.searchParams, body));
      } catch (err) {
        if (!(err instanceof StripeError)) throw err;
        status = err.status;
        answer = { error: err.error };
      }
      // As Stripe: a 5xx is not kept (a retry runs again); anything else is the answer for good.
      if (req.method === 'POST' && idempotencyKey && status < 500) idempotent.set(idempotencyKey, { path: url.pathname, body: raw, status, answer });
      send(status, answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    intents,
    events,
    requests,
    /** A client of the real SDK, as our server makes it, for tests that act as Stripe.js would (confirm). */
    sdk: () => new Stripe(opts.secretKey, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 }),
    /** The visitor passes 3-D Secure (or fails it: the intent asks for another card). */
    completeAuthentication(intentId: string, passed = true) {
      const pi = intentOf(intentId);
      if (pi.status !== 'requires_action') throw new Error(`intent is ${pi.status}`);
      if (passed) authorizeCard(pi);
      else {
        pi.status = 'requires_payment_method';
        pi.last_payment_error = { code: 'payment_intent_authentication_failure', type: 'card_error', message: 'We are unable to authenticate your payment method.' };
        event('payment_intent.payment_failed', pi);
      }
    },
    /** The events of one intent (or charge of it), oldest first. */
    eventsOf(intentId: string): StandInEvent[] {
      return events.filter((e) => e.data.object.id === intentId || e.data.object.payment_intent === intentId);
    },
    /** Posts an event to our webhook endpoint, signed with `secret` as Stripe signs it (`timestamp`: seconds). */
    async deliver(webhookUrl: string, e: StandInEvent, secret: string, opts: { origin?: string; timestamp?: number } = {}): Promise<Response> {
      const payload = JSON.stringify(e);
      const header = Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: opts.timestamp });
      return fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type StripeStandIn = Awaited<ReturnType<typeof startStripeStandIn>>;

/** Keys of the shape Stripe's test mode gives out, made fresh for each test run. */
export function testStripeKeys() {
  const r = () => randomBytes(18).toString('hex');
  return { secretKey: `sk_test_${r()}`, publishableKey: `pk_test_${r()}`, webhookSecret: `whsec_${r()}` };
}

/** What a test server needs to talk to this stand-in with these keys. */
export function stripeEnv(keys: ReturnType<typeof testStripeKeys>, standIn: { url: string }): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: keys.secretKey,
    STRIPE_PUBLISHABLE_KEY: keys.publishableKey,
    STRIPE_WEBHOOK_SECRET: keys.webhookSecret,
    STRIPE_API_BASE_URL: standIn.url,
  };
}
