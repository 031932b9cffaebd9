import { expect } from 'chai';
import { keys, PERMANENT_KEY_PATTERNS } from '../redis/keys.ts';
import { allKeysWithTtl, scanKeys } from '../test-support/redis-keys.ts';
import { addMember, createOrganization, startTestServer, type TestMember, type TestOrganization, type TestServer } from '../test-support/test-server.ts';
import { startStripeStandIn, TEST_CARDS, testStripeKeys, type StandInEvent, stripeEnv, type StripeStandIn } from '../test-support/stripe-stand-in.ts';
import { adminSession, confirmAsBrowser, entersWaitingLine, intentIdOf, startPayment, visitorCheckingIn } from '../test-support/payment-visits.ts';
import { bookkeepingExpiry } from './bookkeeping.ts';

/*
 * What admins do with payments (room prices, the list, refunds), Stripe's webhooks, and the bookkeeping
 * record that outlives the visitor's data: real SDK against the Stripe stand-in, real server and Redis.
 */
describe('payments for admins, webhooks and bookkeeping (real SDK, Stripe stand-in, real server and Redis)', function () {
  this.timeout(30_000);
  const stripeKeys = testStripeKeys();
  let stripe: StripeStandIn;
  let server: TestServer;
  let org: TestOrganization;
  let admin: TestMember;
  let as: Awaited<ReturnType<typeof adminSession>>;
  const webhookUrl = () => `${server.url}/api/payments/stripe-webhook`;

  /** A visitor who paid (authorized), was admitted and whose visit ended: their payment is captured. */
  async function capturedPayment(name = 'Ola Nordmann', o = org) {
    const visit = await visitorCheckingIn(server, o.room.slug, name);
    const { body: auth } = await startPayment(server, visit.visitorToken);
    await confirmAsBrowser(stripe, auth, TEST_CARDS.visa);
    const { socket, entered } = await entersWaitingLine(server, visit.visitorToken);
    expect(entered.ok).to.equal(true);
    socket.disconnect();
    expect(await server.services.payments.settleVisit(o.org.id, visit.visitorId, { admitted: true })).to.equal('captured');
    const intentId = intentIdOf(auth.clientSecret);
    const paymentId = stripe.intents.get(intentId)!.metadata.paymentId!;
    return { ...visit, intentId, paymentId };
  }
  const paymentIn = async (paymentId: string) => ((await as.call('GET', '/api/admin/payments')).body.payments as any[]).find((p) => p.paymentId === paymentId);

  before(async () => {
    stripe = await startStripeStandIn(stripeKeys);
    server = await startTestServer({
      env: {
        ...stripeEnv(stripeKeys, stripe),
      },
    });
    org = await createOrganization(server.services);
    admin = await addMember(server.services, org.org.id, { role: 'admin' });
    as = await adminSession(server, org.org.id, admin.id);
    await server.services.organizations.setPrice(org.org.id, org.room.id, { amount: 80_000, currency: 'NOK' });
  });
  after(async () => {
    await server?.close();
    await stripe?.close();
  });

  it('an admin sets a room price the visitor page shows; bad prices are refused and change nothing', async () => {
    const room = admin.room;
    const path = `/api/admin/rooms/${room.id}/price`;
    expect((await as.call('PUT', path, { price: { amount: 45_000, currency: 'SEK' } })).body).to.deep.equal({ price: { amount: 45_000, currency: 'SEK' } });
    const info = await (await fetch(`${server.url}/api/rooms/${room.slug}`)).json();
    expect(info.price).to.deep.equal({ amount: 45_000, currency: 'SEK' });
    for (const bad of [
      {},
      { price: { amount: -100, currency: 'SEK' } },
      { price: { amount: 0, currency: 'SEK' } },
      { price: { amount: 99.5, currency: 'SEK' } },
      { price: { amount: '45000', currency: 'SEK' } },
      { price: { amount: 10_000_001, currency: 'SEK' } },
      { price: { amount: 45_000, currency: 'USD' } },
      { price: { amount: 45_000 } },
      { price: { amount: 45_000, currency: 'SEK', visitorId: 'x' } },
      { price: null, extra: true },
    ]) {
      const res = await as.call('PUT', path, bad);
      expect([res.status, res.body.error.code], JSON.stringify(bad)).to.deep.equal([400, 'bad_request']);
    }
    expect((await server.services.organizations.getRoom(org.org.id, room.id))!.price, 'unchanged').to.deep.equal({ amount: 45_000, currency: 'SEK' });
    expect((await as.call('PUT', `/api/admin/rooms/${'0'.repeat(32)}/price`, { price: null })).status, 'unknown room').to.equal(404);
    expect((await as.call('PUT', `/api/admin/rooms/not-an-id/price`, { price: null })).status).to.equal(404);
    const other = await createOrganization(server.services);
    expect((await as.call('PUT', `/api/admin/rooms/${other.room.id}/price`, { price: null })).status, "another organization's room").to.equal(404);
    const professional = await adminSession(server, org.org.id, org.professional.id);
    expect((await professional.call('PUT', path, { price: null })).status, 'not an admin').to.equal(403);
    expect((await professional.call('GET', '/api/admin/payments')).status, 'not an admin').to.equal(403);
    expect((await as.call('PUT', path, { price: null })).body).to.deep.equal({ price: null });
    expect((await (await fetch(`${server.url}/api/rooms/${room.slug}`)).json()).price).to.equal(null);
    expect((await as.call('GET', '/api/admin/organization')).body.rooms.find((r: { roomId: string }) => r.roomId === org.room.id).price).to.deep.equal({ amount: 80_000, currency: 'NOK' });
  });

  it('refunds part, refuses more than is left, refunds the rest once; a repeated request refunds nothing more', async () => {
    const paid = await capturedPayment();
    const path = `/api/admin/payments/${paid.paymentId}/refund`;
    const intent = () => stripe.intents.get(paid.intentId)!;
    const partial = await as.call('POST', path, { amount: 30_000, requestId: 'a'.repeat(32) });
    expect(partial.body).to.deep.include({ status: 'partially_refunded', capturedAmount: 80_000, refundedAmount: 30_000 });
    expect((await as.call('POST', path, { amount: 30_000, requestId: 'a'.repeat(32) })).body.refundedAmount, 'the same request again').to.equal(30_000);
    expect(intent().amountRefunded).to.equal(30_000);
    const tooMuch = await as.call('POST', path, { amount: 50_001 });
    expect([tooMuch.status, tooMuch.body.error.code]).to.deep.equal([409, 'refund_too_large']);
    expect(intent().amountRefunded, 'nothing more refunded').to.equal(30_000);
    for (const bad of [{ amount: 0 }, { amount: -5 }, { amount: 1.5 }, { amount: '100' }, { amount: 100, note: 'x' }, { requestId: 'not-an-id' }]) {
      const res = await as.call('POST', path, bad);
      expect([res.status, res.body.error.code], JSON.stringify(bad)).to.deep.equal([400, 'bad_request']);
    }
    expect((await as.call('POST', `/api/admin/payments/${'0'.repeat(32)}/refund`, {})).status).to.equal(404);
    expect((await as.call('POST', `/api/admin/payments/pi_123/refund`, {})).status).to.equal(404);
    const rest = await as.call('POST', path, {});
    expect(rest.body).to.deep.include({ status: 'refunded', refundedAmount: 80_000 });
    expect((await as.call('POST', path, {})).body.refundedAmount, 'all of it again: nothing left, nothing done').to.equal(80_000);
    expect(intent().amountRefunded).to.equal(80_000);
    const listed = await paymentIn(paid.paymentId);
    expect(listed).to.deep.include({ stripeId: paid.intentId, amount: 80_000, currency: 'NOK', status: 'refunded', capturedAmount: 80_000, refundedAmount: 80_000 });
    expect(Object.keys(listed).sort()).to.deep.equal(['amount', 'capturedAmount', 'createdAt', 'currency', 'paymentId', 'refundedAmount', 'status', 'stripeId']);
    const receipt = await (await fetch(`${server.url}/api/payments/receipt`, { headers: { authorization: `Bearer ${paid.visitorToken}` } })).json();
    expect(receipt).to.deep.include({ status: 'refunded', refundedAmount: 80_000 });
  });

  it('a payment not captured cannot be refunded; another organization cannot refund ours', async () => {
    const visit = await visitorCheckingIn(server, org.room.slug);
    const { body: auth } = await startPayment(server, visit.visitorToken);
    await confirmAsBrowser(stripe, auth, TEST_CARDS.visa);
    const paymentId = stripe.intents.get(intentIdOf(auth.clientSecret))!.metadata.paymentId!;
    const res = await as.call('POST', `/api/admin/payments/${paymentId}/refund`, {});
    expect([res.status, res.body.error.code]).to.deep.equal([409, 'refund_too_large']);
    const other = await createOrganization(server.services);
    const otherAdmin = await addMember(server.services, other.org.id, { role: 'admin' });
    const theirs = await adminSession(server, other.org.id, otherAdmin.id);
    expect((await theirs.call('POST', `/api/admin/payments/${paymentId}/refund`, {})).status).to.equal(404);
    expect((await theirs.call('GET', '/api/admin/payments')).body.payments).to.deep.equal([]);
  });

  it('webhooks: each event applied once, late ones change nothing, a refund made at Stripe shows', async () => {
    const paid = await capturedPayment();
    const events = stripe.eventsOf(paid.intentId);
    const capturable = events.find((e) => e.type === 'payment_intent.amount_capturable_updated')!;
    const succeeded = events.find((e) => e.type === 'payment_intent.succeeded')!;
    const deliver = async (e: StandInEvent) => {
      const res = await stripe.deliver(webhookUrl(), e, stripeKeys.webhookSecret);
      return { status: res.status, body: await res.json() };
    };
    expect((await deliver(succeeded)).body.result).to.equal('applied');
    expect((await deliver(succeeded)).body, 'a replay').to.deep.equal({ received: true, result: 'duplicate' });
    // Out of order: the "authorized" news arrives after the capture.
    expect((await deliver(capturable)).status).to.equal(200);
    expect((await paymentIn(paid.paymentId)).status).to.equal('captured');
    // A refund made in Stripe's dashboard (not through us): Stripe tells us by a charge event.
    const sdk = stripe.sdk();
    await sdk.refunds.create({ payment_intent: paid.intentId, amount: 5_000 });
    const refunded = stripe.eventsOf(paid.intentId).filter((e) => e.type === 'charge.refunded').at(-1)!;
    expect((await deliver(refunded)).body.result).to.equal('applied');
    expect(await paymentIn(paid.paymentId)).to.deep.include({ status: 'partially_refunded', refundedAmount: 5_000 });
    expect((await deliver(refunded)).body.result).to.equal('duplicate');
    expect((await deliver(succeeded)).body.result, 'an old event replayed').to.equal('duplicate');
    // A fresh copy of an old event (new id) moves nothing back.
    expect((await deliver({ ...capturable, id: `evt_${'9'.repeat(24)}` })).body.result).to.equal('applied');
    expect(await paymentIn(paid.paymentId)).to.deep.include({ status: 'partially_refunded', refundedAmount: 5_000, capturedAmount: 80_000 });
    // Events of payments that are not ours are acknowledged and ignored.
    expect((await deliver({ ...succeeded, id: `evt_${'8'.repeat(24)}`, data: { object: { ...succeeded.data.object, metadata: {} } } })).body.result).to.equal('ignored');
    expect((await deliver({ ...succeeded, id: `evt_${'7'.repeat(24)}`, type: 'customer.created' })).body.result).to.equal('ignored');
  });

  it('webhooks: a bad signature, an old one or a tampered body gets 400 and changes nothing', async () => {
    const visit = await visitorCheckingIn(server, org.room.slug);
    const { body: auth } = await startPayment(server, visit.visitorToken);
    await confirmAsBrowser(stripe, auth, TEST_CARDS.visa);
    const intentId = intentIdOf(auth.clientSecret);
    const paymentId = stripe.intents.get(intentId)!.metadata.paymentId!;
    const authorized = stripe.eventsOf(intentId).find((e) => e.type === 'payment_intent.amount_capturable_updated')!;
    // A forged "succeeded" (as if captured) signed with the wrong secret, or too old, or altered after signing.
    const forged: StandInEvent = { ...authorized, id: `evt_${'f'.repeat(24)}`, type: 'payment_intent.succeeded', data: { object: { ...authorized.data.object, status: 'succeeded', amount_received: 80_000 } } };
    const before = await server.redis.client.hgetall(keys.transaction(org.org.id, paymentId));
    const attempts: Response[] = [
      await stripe.deliver(webhookUrl(), forged, testStripeKeys().webhookSecret),
      await stripe.deliver(webhookUrl(), forged, stripeKeys.webhookSecret, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
      await fetch(webhookUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forged) }),
      await fetch(webhookUrl(), { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' }, body: JSON.stringify(forged) }),
    ];
    // Signed right, then changed on the way.
    const payload = JSON.stringify(authorized);
    const { default: Stripe } = await import('stripe');
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: stripeKeys.webhookSecret });
    attempts.push(await fetch(webhookUrl(), { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: JSON.stringify(forged) }));
    for (const res of attempts) {
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('bad_request');
    }
    expect(await server.redis.client.hgetall(keys.transaction(org.org.id, paymentId)), 'nothing changed').to.deep.equal(before);
    expect(await scanKeys(server.redis.client, `*stripe-event:${forged.id}`)).to.deep.equal([]);
    // Signed right but not an event at all.
    const junk = '{"hello":"world"}';
    const junkHeader = Stripe.webhooks.generateTestHeaderString({ payload: junk, secret: stripeKeys.webhookSecret });
    const res = await fetch(webhookUrl(), { method: 'POST', headers: { 'stripe-signature': junkHeader }, body: junk });
    expect(res.status).to.equal(400);
  });

  it('the bookkeeping record outlives the visitor’s data until the financial year’s end plus the period, with no name or phone', async () => {
    expect(new Date(bookkeepingExpiry(Date.UTC(2026, 2, 15), 5)).toISOString()).to.equal('2032-01-01T00:00:00.000Z');
    expect(new Date(bookkeepingExpiry(Date.UTC(2026, 11, 31, 23), 7)).toISOString()).to.equal('2034-01-01T00:00:00.000Z');
    const sweden = await createOrganization(server.services, { retentionDays: 1 });
    const swedishAdmin = await addMember(server.services, sweden.org.id, { role: 'admin' });
    const theirs = await adminSession(server, sweden.org.id, swedishAdmin.id);
    for (const years of [0, 11, 2.5, '7']) expect((await theirs.call('PATCH', '/api/admin/organization', { bookkeepingYears: years })).status, String(years)).to.equal(400);
    expect((await theirs.call('PATCH', '/api/admin/organization', { bookkeepingYears: 7 })).status).to.equal(200);
    expect((await theirs.call('GET', '/api/admin/organization')).body.settings.bookkeepingYears).to.equal(7);
    await server.services.organizations.setPrice(sweden.org.id, sweden.room.id, { amount: 50_000, currency: 'SEK' });
    const paid = await capturedPayment('Astrid Lindqvist', sweden);

    const retentionMs = 86_400_000;
    const ttls = await allKeysWithTtl(server.redis.client);
    const transactionKey = keys.transaction(sweden.org.id, paid.paymentId);
    const expected = bookkeepingExpiry(Date.now(), 7) - Date.now();
    expect(Math.abs(ttls.get(transactionKey)! - expected), 'kept 7 years after the end of this year').to.be.lessThan(60_000);
    expect(ttls.get(keys.payment(sweden.org.id, paid.visitorId))!, "the visitor's payment goes with the visitor").to.be.within(1, retentionMs);
    for (const [key, ttl] of ttls) if (ttl === -1) expect(PERMANENT_KEY_PATTERNS.some((p) => p.test(key)), `${key} has no TTL`).to.equal(true);

    // Retention passes: everything of the Swedish organization kept up to then goes, as Redis would expire it.
    for (const [key, ttl] of ttls) if (key.startsWith(`{org:${sweden.org.id}}`) && ttl > 0 && ttl <= retentionMs) await server.redis.client.del(key);
    expect(await server.redis.client.exists(keys.visitor(sweden.org.id, paid.visitorId))).to.equal(0);
    const receipt = await fetch(`${server.url}/api/payments/receipt`, { headers: { authorization: `Bearer ${paid.visitorToken}` } });
    expect(receipt.status, "the visitor's token is gone with their data").to.equal(404);
    // (The admin's login session went with the rest: a fresh one.)
    const later = await adminSession(server, sweden.org.id, swedishAdmin.id);
    const listed = ((await later.call('GET', '/api/admin/payments')).body.payments as any[]).find((p) => p.paymentId === paid.paymentId);
    expect(listed).to.deep.include({ stripeId: paid.intentId, amount: 50_000, currency: 'SEK', status: 'captured', capturedAmount: 50_000 });
    const record = JSON.stringify(await server.redis.client.hgetall(transactionKey));
    for (const secret of ['Astrid', 'Lindqvist', paid.visitorId, '+47', 'phone', 'name']) expect(record).not.to.contain(secret);
    expect((await server.redis.client.pttl(keys.transactions(sweden.org.id))) > retentionMs, 'the index is kept as long').to.equal(true);
  });
});
