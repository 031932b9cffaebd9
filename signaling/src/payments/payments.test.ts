import type { ConsultationEvent } from '../../protocol/index.ts';
import { expect } from 'chai';
import { createLogger } from '../logger.ts';
import { connectRedis } from '../redis/connection.ts';
import { keys } from '../redis/keys.ts';
import {
  addMember,
  ask,
  createOrganization,
  deviceRtpCapabilities,
  joinWaitingRoom,
  postJson,
  professionalSocket,
  startTestServer,
  testPublicKey,
  type TestMember,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { startStripeStandIn, TEST_CARDS, testStripeKeys, stripeEnv, type StripeStandIn } from '../test-support/stripe-stand-in.ts';
import { adminSession, confirmAsBrowser, entersWaitingLine, intentIdOf, startPayment, visitorCheckingIn } from '../test-support/payment-visits.ts';
import { PaymentService } from './payment-service.ts';
import { scanKeys } from '../test-support/redis-keys.ts';
import { eventually } from '../test-support/eventually.ts';
import { stripeFromConfig } from './stripe-client.ts';

/*
 * Card payment through the real `stripe` SDK against a local stand-in of Stripe's API, on a real server
 * and Redis: the visitor's card is authorized while they check in (3-D Secure, declines and retries
 * included), captured once when a visit with an admission ends, released otherwise.
 */
describe('card payment: authorize, capture once, release (real SDK, Stripe stand-in, real server and Redis)', function () {
  this.timeout(30_000);
  const stripeKeys = testStripeKeys();
  let stripe: StripeStandIn;
  let server: TestServer;
  let org: TestOrganization;
  let admin: TestMember;
  const PRICE = { amount: 65_000, currency: 'NOK' as const };

  const checkIn = (name = 'Ola Nordmann') => visitorCheckingIn(server, org.room.slug, name);
  const captures = (intentId: string) => stripe.requests.filter((r) => r.path === `/v1/payment_intents/${intentId}/capture`).length;
  /** Settling runs in the background when a visit ends (it never holds up the call): wait for Stripe to see it. */
  async function intentBecomes(intentId: string, status: string, timeoutMs = 5_000): Promise<void> {
    await eventually(() => expect(stripe.intents.get(intentId)?.status, `intent ${intentId}`).to.equal(status), { what: `the payment ${status}`, timeoutMs });
  }

  /** A visitor who checked in and had their card authorized, then entered the waiting line. */
  async function paidAndWaiting(name = 'Ola Nordmann') {
    const visit = await checkIn(name);
    const { body: auth } = await startPayment(server, visit.visitorToken);
    expect((await confirmAsBrowser(stripe, auth, TEST_CARDS.visa)).body.status).to.equal('requires_capture');
    expect(await server.services.payments.isAuthorized(org.org.id, visit.visitorId)).to.equal(true);
    const { socket, entered } = await entersWaitingLine(server, visit.visitorToken);
    expect(entered.ok && entered.visit.state).to.equal('waiting');
    return { ...visit, socket, intentId: intentIdOf(auth.clientSecret) };
  }

  before(async () => {
    stripe = await startStripeStandIn(stripeKeys);
    server = await startTestServer({
      env: {
        ...stripeEnv(stripeKeys, stripe),
      },
    });
    org = await createOrganization(server.services);
    admin = await addMember(server.services, org.org.id, { role: 'admin' });
    await server.services.organizations.setPrice(org.org.id, org.room.id, PRICE);
  });
  after(async () => {
    await server?.close();
    await stripe?.close();
  });

  it('a retried start makes one PaymentIntent at Stripe: the room price, manual capture, opaque ids only', async () => {
    const visit = await checkIn('Kari Nordmann');
    const before = stripe.intents.size;
    const [a, b] = await Promise.all([startPayment(server, visit.visitorToken), startPayment(server, visit.visitorToken)]);
    const c = await startPayment(server, visit.visitorToken);
    expect([a.status, b.status, c.status]).to.deep.equal([200, 200, 200]);
    expect(new Set([a.body.clientSecret, b.body.clientSecret, c.body.clientSecret]).size, 'one client secret').to.equal(1);
    expect(stripe.intents.size - before, 'one intent at Stripe').to.equal(1);
    expect(a.body).to.deep.include({ publishableKey: stripeKeys.publishableKey, amount: 65_000, currency: 'NOK' });
    const intent = stripe.intents.get(intentIdOf(a.body.clientSecret))!;
    expect(intent).to.deep.include({ amount: 65_000, currency: 'nok', capture_method: 'manual', status: 'requires_payment_method' });
    expect(Object.keys(intent.metadata).sort()).to.deep.equal(['orgId', 'paymentId', 'visitorId']);
    for (const value of Object.values(intent.metadata)) expect(value).to.match(/^[0-9a-f]{32}$/);
    // The create requests carried an idempotency key made from the visitor's payment.
    const creates = stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents' && r.body.metadata && (r.body.metadata as Record<string, string>).visitorId === visit.visitorId);
    expect(creates.length).to.be.greaterThan(0);
    expect(new Set(creates.map((r) => r.idempotencyKey)).size).to.equal(1);
    expect(creates[0]!.idempotencyKey).to.match(/^consult-payment-[0-9a-f]{32}$/);
    // Nothing about the card or the visitor's name went to Stripe.
    expect(JSON.stringify(creates)).not.to.contain('Kari');
  });

  it('only a visitor still checking in, in a room with a price, can start paying; anything else is not_found', async () => {
    const ok = await checkIn();
    const tampered = `${ok.visitorToken.slice(0, -4)}AAAA`;
    for (const authorization of [undefined, '', 'Bearer', `Bearer ${tampered}`, `Basic ${ok.visitorToken}`, `Bearer ${'x'.repeat(300)}`]) {
      const res = await fetch(`${server.url}/api/payments/visitor`, {
        method: 'POST',
        headers: { origin: server.origin, 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
        body: '{}',
      });
      expect(res.status, String(authorization)).to.equal(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('not_found');
    }
    // Skipping the payment (the socket event called directly): not in the line.
    const early = await entersWaitingLine(server, ok.visitorToken);
    expect(early.entered.ok === false && early.entered.error.code).to.equal('check_in_incomplete');
    // Started but the card not confirmed: still not.
    const { body: auth } = await startPayment(server, ok.visitorToken);
    expect((await ask(early.socket, 'visit:enter', {})).ok).to.equal(false);
    await confirmAsBrowser(stripe, auth, TEST_CARDS.visa);
    const entered = await ask(early.socket, 'visit:enter', {});
    expect(entered.ok && entered.visit.state).to.equal('waiting');
    // In the waiting line: no payment step any more.
    expect((await startPayment(server, ok.visitorToken)).body.error?.code).to.equal('not_found');
    early.socket.disconnect();
    // A room without a price: no payment step at all.
    const free = await addMember(server.services, org.org.id);
    const inFree = await joinWaitingRoom(server, free.room.slug, 'Eva Berg');
    expect(inFree.steps).to.deep.equal([]);
    expect((await startPayment(server, inFree.visitorToken)).status).to.equal(404);
    expect(await server.services.redis.exists(keys.payment(org.org.id, inFree.visitorId)), 'nothing stored').to.equal(0);
  });

  it('a declined card authorizes nothing; the visitor retries with another card', async () => {
    const visit = await checkIn();
    const { body: auth } = await startPayment(server, visit.visitorToken);
    const declined = await confirmAsBrowser(stripe, auth, TEST_CARDS.declined);
    expect(declined.status).to.equal(402);
    expect(declined.body.error).to.deep.include({ code: 'card_declined', message: 'Your card was declined.' });
    expect(await server.services.payments.isAuthorized(org.org.id, visit.visitorId)).to.equal(false);
    // The retry uses the same intent (a reload answers it again), and this card works.
    const again = await startPayment(server, visit.visitorToken);
    expect(again.body.clientSecret).to.equal(auth.clientSecret);
    expect((await confirmAsBrowser(stripe, again.body, TEST_CARDS.visa)).status).to.equal(200);
    expect(await server.services.payments.isAuthorized(org.org.id, visit.visitorId)).to.equal(true);
    expect(stripe.intents.get(intentIdOf(auth.clientSecret))!.amount_received, 'nothing charged yet').to.equal(0);
  });

  it('with 3-D Secure the card counts as authorized only once the visitor passed it', async () => {
    const visit = await checkIn();
    const { body: auth } = await startPayment(server, visit.visitorToken);
    expect((await confirmAsBrowser(stripe, auth, TEST_CARDS.threeDSecure)).body.status).to.equal('requires_action');
    expect(await server.services.payments.isAuthorized(org.org.id, visit.visitorId), 'the browser saying so is not enough').to.equal(false);
    stripe.completeAuthentication(intentIdOf(auth.clientSecret));
    expect(await server.services.payments.isAuthorized(org.org.id, visit.visitorId)).to.equal(true);
  });

  it('captures once when the call ends after an admission; settling again charges nothing more', async () => {
    const visit = await paidAndWaiting();
    const heard: ConsultationEvent[] = [];
    server.services.events.subscribe(async (e) => void (e.type === 'payment.captured' && e.data.visitorId === visit.visitorId && heard.push(e)));
    const settled: string[] = [];
    server.services.domainEvents.on('payment.settled', 'test', (e) => void (e.visitorId === visit.visitorId && settled.push(e.outcome)));
    const pro = await professionalSocket(server, (await adminSession(server, org.org.id, org.professional.id)).cookie);
    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    expect(stripe.intents.get(visit.intentId)!.status, 'admitting charges nothing yet').to.equal('requires_capture');
    expect((await ask(pro, 'call:hang-up', { callId: admitted.callId })).ok).to.equal(true);
    expect(await server.services.redis.hget(keys.visitor(org.org.id, visit.visitorId), 'state')).to.equal('ended');
    // The visit ended with the call: its payment is captured, with nobody asking.
    await intentBecomes(visit.intentId, 'succeeded');
    expect(stripe.intents.get(visit.intentId)).to.deep.include({ status: 'succeeded', amount_received: 65_000 });
    expect(await server.services.payments.settleVisit(org.org.id, visit.visitorId, { admitted: true })).to.equal('captured');
    expect(await server.services.payments.settleVisit(org.org.id, visit.visitorId, { admitted: false }), 'the first decision stands').to.equal('captured');
    expect(captures(visit.intentId)).to.equal(1);
    // The organization's systems hear of the capture once, with the amount and nothing about the card.
    await eventually(() => heard.length > 0, { what: 'payment.captured heard' });
    expect(heard.map((e) => e.data)).to.deep.equal([{ visitorId: visit.visitorId, amount: 65_000, currency: 'NOK' }]);
    expect(settled, 'one settlement published, however often it was asked for').to.deep.equal(['captured']);
    const receipt = await fetch(`${server.url}/api/payments/receipt`, { headers: { authorization: `Bearer ${visit.visitorToken}` } });
    expect(await receipt.json()).to.deep.include({ amount: 65_000, currency: 'NOK', status: 'captured', reference: visit.intentId, refundedAmount: 0 });
    pro.disconnect();
  });

  it('sent back and admitted again, then settled by several processes at once: charged exactly once', async () => {
    const visit = await paidAndWaiting();
    const caps = await deviceRtpCapabilities(server);
    const pro = await professionalSocket(server, (await adminSession(server, org.org.id, org.professional.id)).cookie);
    const visitor = visit.socket;
    const first = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    if (!first.ok) throw new Error(JSON.stringify(first));
    expect((await ask(pro, 'call:join', { callId: first.callId, rtpCapabilities: caps, publicKey: testPublicKey })).ok).to.equal(true);
    expect((await ask(pro, 'call:send-back', { callId: first.callId })).ok).to.equal(true);
    expect((await ask(pro, 'call:hang-up', { callId: first.callId })).ok).to.equal(true);
    const second = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    if (!second.ok) throw new Error(JSON.stringify(second));
    expect((await ask(pro, 'call:hang-up', { callId: second.callId })).ok).to.equal(true);

    // The call's end settles it in the background; meanwhile another signaling process (its own Redis
    // connection and Stripe client, the same data) and this one try too, all at once.
    const otherRedis = connectRedis(server.redis.url);
    const otherProcess = new PaymentService(otherRedis, stripeFromConfig(server.services.config), createLogger('silent'));
    try {
      const outcomes = await Promise.all([
        ...Array.from({ length: 4 }, () => server.services.payments.settleVisit(org.org.id, visit.visitorId, { admitted: true })),
        ...Array.from({ length: 4 }, () => otherProcess.settleVisit(org.org.id, visit.visitorId, { admitted: true })),
      ]);
      expect(outcomes.every((o) => o === 'captured' || o === 'busy'), outcomes.join()).to.equal(true);
      await intentBecomes(visit.intentId, 'succeeded');
      expect(await otherProcess.settleVisit(org.org.id, visit.visitorId, { admitted: true })).to.equal('captured');
    } finally {
      await otherRedis.quit();
    }
    expect(captures(visit.intentId), 'one capture request at Stripe').to.equal(1);
    expect(stripe.intents.get(visit.intentId)!.amount_received).to.equal(65_000);
    visitor.disconnect();
    pro.disconnect();
  });

  it('releases the authorization when the visitor is denied, leaves, or is never admitted; nothing is charged', async () => {
    const denied = await paidAndWaiting('Per Hansen');
    const left = await paidAndWaiting('Eva Berg');
    const neverAdmitted = await checkIn('Nils Dahl');
    const { body: auth } = await startPayment(server, neverAdmitted.visitorToken);
    await confirmAsBrowser(stripe, auth, TEST_CARDS.visa);
    // As it happens: the professional turns one away, one leaves the line, one leaves before entering it.
    const pro = await professionalSocket(server, (await adminSession(server, org.org.id, org.professional.id)).cookie);
    expect((await ask(pro, 'queue:deny', { visitorId: denied.visitorId })).ok).to.equal(true);
    expect((await ask(left.socket, 'visit:leave', {})).ok).to.equal(true);
    const { socket: stillCheckingIn } = await entersWaitingLine(server, neverAdmitted.visitorToken);
    expect((await ask(stillCheckingIn, 'visit:leave', {})).ok).to.equal(true);
    for (const [visitorId, intentId] of [
      [denied.visitorId, denied.intentId],
      [left.visitorId, left.intentId],
      [neverAdmitted.visitorId, intentIdOf(auth.clientSecret)],
    ] as const) {
      await intentBecomes(intentId, 'canceled');
      expect(await server.services.payments.settleVisit(org.org.id, visitorId, { admitted: false })).to.equal('released');
      expect(stripe.intents.get(intentId)).to.deep.include({ status: 'canceled', amount_received: 0 });
      // A late "admitted" does not bring the charge back.
      expect(await server.services.payments.settleVisit(org.org.id, visitorId, { admitted: true })).to.equal('released');
      expect(captures(intentId)).to.equal(0);
    }
    const { body } = await (await adminSession(server, org.org.id, admin.id)).call('GET', '/api/admin/payments');
    const byStripeId = new Map((body.payments as { stripeId: string; status: string }[]).map((p) => [p.stripeId, p.status]));
    expect(byStripeId.get(denied.intentId)).to.equal('released');
    pro.disconnect();
    stillCheckingIn.disconnect();
    // A visitor without any payment: nothing to settle.
    expect(await server.services.payments.settleVisit(org.org.id, 'a'.repeat(32), { admitted: true })).to.equal('none');
  });

  it('a card hold whose settling never ran (its process died, or the visitor closed the tab mid-check-in) is settled by the purge job', async () => {
    // Left the line without the visit's own settling running (as if the process died right then).
    const left = await paidAndWaiting('Borte Borte');
    await server.services.waitingRoom.leave((await server.services.waitingRoom.getVisitor(org.org.id, left.visitorId))!);
    // Authorized, never entered the line, and gone (the abandoned check-in expired).
    const abandoned = await checkIn('Lukket Fanen');
    const { body: auth } = await startPayment(server, abandoned.visitorToken);
    await confirmAsBrowser(stripe, auth, TEST_CARDS.visa);
    expect(await server.services.payments.isAuthorized(org.org.id, abandoned.visitorId)).to.equal(true);
    await server.redis.client.del(keys.visitor(org.org.id, abandoned.visitorId));
    // Still waiting: their visit's end will settle it, the sweep leaves it.
    const waiting = await paidAndWaiting('Venter Fortsatt');

    expect((await server.purge.runOnce(Date.now()))?.paymentsSettled, 'within the grace period: nothing yet').to.equal(0);
    const report = await server.purge.runOnce(Date.now() + 3 * 60_000);
    expect(report.paymentsSettled).to.equal(2);
    expect(stripe.intents.get(left.intentId)?.status).to.equal('canceled');
    expect(stripe.intents.get(intentIdOf(auth.clientSecret))?.status).to.equal('canceled');
    expect(stripe.intents.get(waiting.intentId)?.status).to.equal('requires_capture');
    expect(await server.redis.client.zrange(keys.unsettledPayments(org.org.id), '0', '-1')).to.include(waiting.visitorId).and.not.include(left.visitorId);
    left.socket.disconnect();
    waiting.socket.disconnect();
  });

  it("only the visit's payment frame (/pay) allows Stripe's Payment Element (its scripts, frames and API); the visitor app itself does not", async () => {
    const directivesOf = async (path: string) => {
      const res = await fetch(`${server.url}${path}`);
      await res.body?.cancel();
      const csp = res.headers.get('content-security-policy') ?? '';
      return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values.join(' ')]));
    };
    // The visitor app (check-in, waiting room, call): Stripe can neither run nor be framed nor be called there.
    for (const path of [`/r/${org.room.slug}`, `/c/${org.org.id}.${'0'.repeat(32)}.${'A'.repeat(43)}`]) {
      const visitorPage = await directivesOf(path);
      expect(visitorPage.get('script-src'), path).to.equal("'self'");
      expect(visitorPage.get('connect-src'), path).to.equal("'self'");
      expect(visitorPage.has('frame-src'), path).to.equal(false);
      expect([...visitorPage.values()].join(' '), path).not.to.contain('stripe');
    }
    // The payment frame: Stripe's sources, and framed by the visitor app only (same origin).
    const payFrame = await directivesOf(`/r/${org.room.slug}/pay`);
    expect(payFrame.get('script-src')).to.equal("'self' https://js.stripe.com https://*.js.stripe.com");
    expect(payFrame.get('frame-src')).to.equal('https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com');
    expect(payFrame.get('connect-src')).to.equal("'self' https://api.stripe.com");
    expect(payFrame.get('default-src')).to.equal("'self'");
    expect(payFrame.get('frame-ancestors')).to.equal("'self'");
    const dashboard = await directivesOf('/dashboard/');
    expect(dashboard.get('script-src')).to.equal("'self'");
    expect(dashboard.get('connect-src')).to.equal("'self'");
    expect(dashboard.has('frame-src')).to.equal(false);
  });

  it('the logs name no visitor and carry no token or client secret', async () => {
    // Back from a bank's page, Stripe puts the intent's client secret in the payment frame's address.
    const returned = await fetch(`${server.url}/r/${org.room.slug}/pay?payment_intent=pi_1&payment_intent_client_secret=pi_1_secret_returned&redirect_status=succeeded`);
    expect(returned.status).to.equal(200);
    expect(returned.headers.get('cache-control')).to.equal('no-store');
    expect(returned.headers.get('referrer-policy')).to.equal('no-referrer');
    await returned.body?.cancel();
    const logs = server.logs().join('\n');
    for (const secret of ['Ola Nordmann', 'Kari', 'Per Hansen', '_secret_', stripeKeys.secretKey, 'Bearer']) expect(logs).not.to.contain(secret);
    expect(logs).to.contain('payment settled');
  });
});

describe('card payment switched off (no Stripe keys)', function () {
  this.timeout(30_000);
  it('the admin page says it is not available; a visitor cannot start paying; Stripe is kept out of the CSP', async () => {
    const server = await startTestServer();
    try {
      const org = await createOrganization(server.services);
      const admin = await addMember(server.services, org.org.id, { role: 'admin' });
      await server.services.organizations.setPrice(org.org.id, org.room.id, { amount: 50_000, currency: 'SEK' });
      const as = await adminSession(server, org.org.id, admin.id);
      const { body } = await as.call('GET', '/api/admin/payments');
      expect(body).to.deep.equal({ available: false, bookkeepingYears: 5, payments: [] });
      const priced = await as.call('PUT', `/api/admin/rooms/${admin.room.id}/price`, { price: { amount: 50_000, currency: 'SEK' } });
      expect([priced.status, priced.body.error.code], 'a price no one could pay').to.deep.equal([503, 'payments_unavailable']);
      // A room priced while Stripe was set up: its visitors are told at once, and nothing of them is kept.
      const checkIn = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name: 'Ola Nordmann' } });
      expect([checkIn.status, ((await checkIn.json()) as { error: { code: string } }).error.code]).to.deep.equal([503, 'payments_unavailable']);
      expect(await scanKeys(server.redis.client, `{org:${org.org.id}}:visitor:*`)).to.deep.equal([]);
      const page = await fetch(`${server.url}/r/${org.room.slug}`);
      await page.body?.cancel();
      expect(page.headers.get('content-security-policy')).not.to.contain('stripe');
    } finally {
      await server.close();
    }
  });

  it('refuses a partial Stripe configuration at start', async () => {
    const keysOnly = testStripeKeys();
    let message = '';
    try {
      await startTestServer({ env: { STRIPE_SECRET_KEY: keysOnly.secretKey } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.contain('go together');
  });
});
