import { createHmac, timingSafeEqual } from 'node:crypto';
import { expect } from 'chai';
import type { WebhookDeliveryDetail, WebhookDeliveryView, WebhookSecretIssued } from '../../protocol/index.ts';
import { fieldContext } from '../crypto/field-cipher.ts';
import { newId } from '../ids.ts';
import { keys, PERMANENT_KEY_PATTERNS } from '../redis/keys.ts';
import { closeOrganization } from '../retention/organization-deletion.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { allKeysWithTtl, scanKeys } from '../test-support/redis-keys.ts';
import { eventually } from '../test-support/eventually.ts';
import {
  addMember,
  ask,
  createOrganization,
  joinWaitingRoom,
  memberApi,
  professionalSocket,
  startTestServer,
  visitorSocket,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { TestReceiver } from './test-receiver.ts';
import { verifyConsultSignature } from './verify-signature.example.ts';

/*
 * Webhooks end to end: real server, Redis and HTTP, and an EHR's endpoint played by a node:http server in
 * the test. Signatures are checked by an implementation written here, independent of the server's.
 */

/** The receiver's side, written from the documentation alone: HMAC-SHA256 of "<t>.<body>", any v1, 5 minutes. */
function independentlyVerified(rawBody: string, header: string, secret: string, nowSeconds = Date.now() / 1000): boolean {
  const pairs = header.split(',').map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)] as const);
  const t = Number(pairs.find(([k]) => k === 't')?.[1]);
  if (!Number.isFinite(t) || Math.abs(nowSeconds - t) > 5 * 60) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return pairs.filter(([k]) => k === 'v1').some(([, hex]) => {
    const given = Buffer.from(hex, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
const v1Count = (header: string) => header.split(',').filter((p) => p.startsWith('v1=')).length;

/** The shared eventually(), for checks that answer the awaited thing itself once it is there (falsy until then). */
const until = <T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> =>
  eventually(async () => (await check()) || false, { what, timeoutMs }) as Promise<T>;

const ALL_EVENTS = ['consultation.created', 'consultation.cancelled', 'visitor.arrived', 'visitor.left', 'visitor.admitted', 'visitor.denied', 'visitor.transferred', 'call.started', 'call.ended', 'payment.captured'];

describe('webhooks (real server, Redis and HTTP; a local receiver)', function () {
  this.timeout(60_000);
  let server: TestServer;
  const receivers: TestReceiver[] = [];

  before(async () => {
    server = await startTestServer({
      env: { WEBHOOK_ALLOWED_ADDRESS_RANGES: '127.0.0.0/8', WEBHOOK_ALLOW_PLAIN_HTTP: 'true', WEBHOOK_RETRY_BASE_MS: '40' },
    });
  });
  after(async () => {
    for (const r of receivers) await r.close();
    await server?.close();
  });
  afterEach(() => {
    server.services.webhooks.outbox.now = Date.now;
  });

  /** An organization with an admin (their API) and a receiver of its own. */
  async function scene(opts: { retentionDays?: number } = {}) {
    const org = await createOrganization(server.services, opts);
    const admin = await addMember(server.services, org.org.id, { role: 'admin' });
    const api = await memberApi(server, org.org.id, admin.id);
    const receiver = await TestReceiver.start();
    receivers.push(receiver);
    const register = async (events = ALL_EVENTS, url = receiver.url) => {
      const res = await api.call('POST', '/api/admin/webhooks', { url, events });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body as WebhookSecretIssued;
    };
    const deliveries = async (query = '') => (await api.call('GET', `/api/admin/webhook-deliveries${query}`)).body.deliveries as WebhookDeliveryView[];
    const deliveryOf = async (eventId: string) => (await deliveries()).find((d) => d.eventId === eventId);
    const emit = async (type: 'visitor.arrived' | 'visitor.left' = 'visitor.arrived') => (await server.services.events.emit(org.org.id, type, { visitorId: newId() }))!;
    return { org, admin, api, receiver, register, deliveries, deliveryOf, emit };
  }

  it('an arrival and an admission reach the endpoint signed: the signature verifies independently, a changed body or an old time does not; no name in the body', async () => {
    const { org, receiver, register } = await scene();
    const { secret } = await register();
    const pro = await professionalSocket(server, (await memberApi(server, org.org.id, org.professional.id)).cookie);
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    await visitorSocket(server, visit.visitorToken);
    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    expect(admitted.ok).to.equal(true);

    await receiver.waitFor((r) => ['visitor.arrived', 'visitor.admitted', 'call.started'].every((t) => r.some((x) => x.event.type === t)), 'arrival, admission, call start');
    for (const r of receiver.received) {
      expect(independentlyVerified(r.rawBody, r.signature, secret), r.event.type).to.equal(true);
      expect(verifyConsultSignature(r.rawBody, r.signature, secret), 'the documented example').to.equal(true);
      expect(independentlyVerified(r.rawBody.replace(org.org.id, newId()), r.signature, secret), 'changed body').to.equal(false);
      expect(independentlyVerified(r.rawBody, r.signature, 'whsec_not-the-secret'), 'another secret').to.equal(false);
      // Replayed six minutes later: refused by the window.
      expect(independentlyVerified(r.rawBody, r.signature, secret, Date.now() / 1000 + 6 * 60), 'replay').to.equal(false);
      expect(r.rawBody).not.to.contain('Ola');
      expect(r.event.organizationId).to.equal(org.org.id);
      expect(r.event.data).to.include({ visitorId: visit.visitorId });
      expect(Object.keys(r.event).sort()).to.deep.equal(['consultationId', 'data', 'externalReference', 'id', 'organizationId', 'time', 'type']);
    }
    const admission = receiver.received.find((r) => r.event.type === 'visitor.admitted')!;
    expect((admission.event.data as { callId: string }).callId).to.equal(admitted.ok && admitted.callId);
  });

  it('the external reference reaches the EHR but is kept only sealed in Redis', async () => {
    const { org, receiver, register } = await scene();
    await register(['visitor.left']);
    const consultationId = newId();
    const reference = 'EHR-REFERENCE-8842';
    await server.redis.client.hset(keys.consultation(org.org.id, consultationId), {
      id: consultationId,
      state: 'scheduled',
      externalReference: server.services.fieldCipher.encrypt(reference, fieldContext.consultationField(org.org.id, consultationId, 'externalReference')),
    });
    await server.redis.client.pexpire(keys.consultation(org.org.id, consultationId), 3_600_000);
    receiver.behaviour = () => 503; // kept for retries meanwhile
    await server.services.events.emit(org.org.id, 'visitor.left', { consultationId, reason: 'left' });
    await receiver.waitFor((r) => r.length >= 2, 'two tries');
    expect(receiver.received[0]!.event.externalReference).to.equal(reference);
    expect(receiver.received[0]!.event.consultationId).to.equal(consultationId);
    const dump = JSON.stringify([...(await dumpRedis(server.redis.client))]);
    expect(dump).not.to.contain(reference);
    receiver.behaviour = () => 200;
  });

  it('a receiver that fails the first 3 attempts gets the event on the 4th, the same event each time; the log shows all four', async () => {
    const { receiver, register, emit, api, deliveryOf } = await scene();
    await register(['visitor.arrived']);
    receiver.behaviour = (_r, nth) => (nth <= 3 ? 500 : 200);
    const event = await emit();
    await receiver.waitFor((r) => r.length >= 4, 'four attempts');
    expect(receiver.received.map((r) => r.event.id)).to.deep.equal([event.id, event.id, event.id, event.id]);
    expect(new Set(receiver.received.map((r) => r.rawBody)).size).to.equal(1);
    const delivered = await until(async () => (await deliveryOf(event.id))?.status === 'delivered' && (await deliveryOf(event.id)), 'delivered');
    expect(delivered.attempts).to.equal(4);
    const detail = (await api.call('GET', `/api/admin/webhook-deliveries/${delivered.id}`)).body as WebhookDeliveryDetail;
    expect(detail.attemptLog.map((a) => a.status)).to.deep.equal([200, 500, 500, 500]);
    expect(receiver.received.length, 'nothing after success').to.equal(4);
    // Done: nothing of it is left in the outbox.
    await until(async () => (await server.redis.client.xlen(keys.webhookOutbox())) === 0, 'outbox empty');
  });

  it('a receiver that hangs does not hold up an admission: its ack arrives while the receiver has answered nothing', async () => {
    const { org, receiver, register } = await scene();
    await register(['visitor.arrived', 'visitor.admitted', 'call.started']);
    receiver.behaviour = () => 'hold';
    const pro = await professionalSocket(server, (await memberApi(server, org.org.id, org.professional.id)).cookie);
    const visit = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    await visitorSocket(server, visit.visitorToken);
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'visitor.arrived'), 'the arrival (held)');
    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    expect(admitted.ok).to.equal(true);
    // The admission is through, and every request the receiver got is still unanswered.
    const delivered = (await server.services.webhooks.store.listDeliveries(org.org.id, {})).deliveries.filter((d) => d.status === 'delivered');
    expect(delivered).to.deep.equal([]);
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'visitor.admitted'), 'the admission, delivered after the ack');
    receiver.behaviour = () => 200;
    for (const r of receiver.received) r.answer(200);
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'call.started'), 'the call start');
  });

  it('rotation: both signatures during the overlap, only the new one after it ends (or when it runs out)', async () => {
    const { receiver, register, api, emit } = await scene();
    const { endpoint, secret: first } = await register(['visitor.arrived']);
    const lastFor = async (eventId: string) => {
      await receiver.waitFor((r) => r.some((x) => x.event.id === eventId), 'the event');
      return receiver.received.find((x) => x.event.id === eventId)!;
    };

    const before = await lastFor((await emit()).id);
    expect(v1Count(before.signature)).to.equal(1);
    expect(independentlyVerified(before.rawBody, before.signature, first)).to.equal(true);

    const rotated = await api.call('POST', `/api/admin/webhooks/${endpoint.id}/rotate-secret`, { overlapMinutes: 60 });
    expect(rotated.status).to.equal(200);
    const second = (rotated.body as WebhookSecretIssued).secret;
    expect(second).to.match(/^whsec_[A-Za-z0-9_-]{43}$/).and.not.equal(first);
    const during = await lastFor((await emit()).id);
    expect(v1Count(during.signature)).to.equal(2);
    const [t, newer, older] = during.signature.split(',');
    expect(independentlyVerified(during.rawBody, `${t},${newer}`, second), 'first v1: the new secret').to.equal(true);
    expect(independentlyVerified(during.rawBody, `${t},${older}`, first), 'second v1: the old secret').to.equal(true);

    expect((await api.call('DELETE', `/api/admin/webhooks/${endpoint.id}/previous-secret`)).status).to.equal(204);
    const after = await lastFor((await emit()).id);
    expect(v1Count(after.signature)).to.equal(1);
    expect(independentlyVerified(after.rawBody, after.signature, second)).to.equal(true);
    expect(independentlyVerified(after.rawBody, after.signature, first)).to.equal(false);

    // An overlap that runs out by itself: a minute, and the clock two minutes on.
    const third = ((await api.call('POST', `/api/admin/webhooks/${endpoint.id}/rotate-secret`, { overlapMinutes: 1 })).body as WebhookSecretIssued).secret;
    server.services.webhooks.outbox.now = () => Date.now() + 2 * 60_000;
    const late = await lastFor((await emit()).id);
    expect(v1Count(late.signature)).to.equal(1);
    expect(independentlyVerified(late.rawBody, late.signature, third, Date.now() / 1000 + 120)).to.equal(true);
  });

  it('after 24 h of failures the delivery is marked failed; an admin resends it (same event id) and it is delivered, audited', async () => {
    const { org, receiver, register, emit, api, deliveryOf } = await scene();
    await register(['visitor.arrived']);
    receiver.behaviour = () => 503;
    const event = await emit();
    const pending = await until(async () => {
      const d = await deliveryOf(event.id);
      return d && d.attempts >= 1 && d;
    }, 'a first failed attempt');
    expect(pending.status).to.equal('pending');
    expect(pending.lastAttempt?.status).to.equal(503);
    expect((await api.call('POST', `/api/admin/webhook-deliveries/${pending.id}/resend`)).body.error.code, 'still being tried').to.equal('delivery_pending');

    server.services.webhooks.outbox.now = () => Date.now() + 24 * 3600_000 + 60_000;
    const failed = await until(async () => (await deliveryOf(event.id))?.status === 'failed' && (await deliveryOf(event.id)), 'marked failed');
    expect(failed.nextAttemptAt).to.equal(null);
    server.services.webhooks.outbox.now = Date.now;
    const triesBefore = receiver.received.length;

    receiver.behaviour = () => 200;
    expect((await api.call('POST', `/api/admin/webhook-deliveries/${failed.id}/resend`)).status).to.equal(202);
    await until(async () => (await deliveryOf(event.id))?.status === 'delivered', 'delivered after the resend');
    expect(receiver.received.length).to.equal(triesBefore + 1);
    expect(receiver.received.at(-1)!.event.id).to.equal(event.id);
    const audit = await server.services.audit.list(org.org.id, { action: 'webhook_resend' });
    expect(audit.entries.map((e) => e.targetId)).to.deep.equal([failed.id]);
  });

  it('an admin registers, lists, changes and deletes endpoints; each change is audited (without the URL); members who are not admins get 403', async () => {
    const { org, api, register, receiver } = await scene();
    const { endpoint, secret } = await register(['visitor.arrived']);
    expect(secret).to.match(/^whsec_/);
    const listed = (await api.call('GET', '/api/admin/webhooks')).body;
    expect(listed.endpoints).to.have.length(1);
    expect(JSON.stringify(listed)).not.to.contain(secret);
    const patched = await api.call('PATCH', `/api/admin/webhooks/${endpoint.id}`, { events: ['visitor.left', 'call.ended'] });
    expect(patched.body.events).to.deep.equal(['visitor.left', 'call.ended']);
    expect((await api.call('DELETE', `/api/admin/webhooks/${endpoint.id}`)).status).to.equal(204);
    expect((await api.call('GET', '/api/admin/webhooks')).body.endpoints).to.deep.equal([]);
    const entries = (await server.services.audit.list(org.org.id, { action: 'webhook_change' })).entries;
    expect(entries.map((e) => e.detail.change).reverse()).to.deep.equal(['created', 'updated', 'deleted']);
    expect(entries.every((e) => e.targetId === endpoint.id)).to.equal(true);
    expect(JSON.stringify(entries)).not.to.contain(receiver.url);
    // Stored secrets are sealed.
    const { endpoint: kept, secret: keptSecret } = await register(['visitor.arrived']);
    expect(JSON.stringify(await server.redis.client.hgetall(keys.webhookEndpoint(org.org.id, kept.id)))).not.to.contain(keptSecret);

    const member = await addMember(server.services, org.org.id);
    const memberCalls = await memberApi(server, org.org.id, member.id);
    expect((await memberCalls.call('GET', '/api/admin/webhooks')).status).to.equal(403);
    expect((await memberCalls.call('POST', '/api/admin/webhooks', { url: receiver.url, events: ['visitor.arrived'] })).body.error.code).to.equal('forbidden');
  });

  it('lists deliveries a page at a time, newest first: five made in the same millisecond (one event to five endpoints) are each seen once', async () => {
    const { org, api } = await scene();
    const store = server.services.webhooks.store;
    const at = Date.now() - 60_000;
    const endpoints = await Promise.all([1, 2, 3, 4, 5].map((n) => store.createEndpoint(org.org.id, { url: `https://ehr${n}.example/hook`, events: ['visitor.arrived'] })));
    const event = { id: newId(), type: 'visitor.arrived' as const };
    const sameMs = await Promise.all(endpoints.map(({ endpoint }) => store.createDelivery(org.org.id, endpoint.id, event, '{}', at)));
    const older = await store.createDelivery(org.org.id, endpoints[0]!.endpoint.id, { id: newId(), type: 'visitor.arrived' }, '{}', at - 1);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const { deliveries, nextCursor } = await store.listDeliveries(org.org.id, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(deliveries.length, `page ${page + 1}`).to.be.at.most(2);
      seen.push(...deliveries.map((d) => d.id));
      if (!nextCursor) break;
      cursor = nextCursor;
    }
    expect(seen).to.have.length(6);
    expect(new Set(seen)).to.deep.equal(new Set([...sameMs, older]));
    expect(seen.at(-1), 'the older one last').to.equal(older);

    // The dashboard's way: the first page, then on from its cursor.
    const first = (await api.call('GET', '/api/admin/webhook-deliveries')).body;
    expect(first.deliveries.map((d: WebhookDeliveryView) => d.id)).to.deep.equal(seen);
    expect(first.nextCursor).to.equal(null);
    const page2 = await store.listDeliveries(org.org.id, { limit: 2 });
    const rest = (await api.call('GET', `/api/admin/webhook-deliveries?cursor=${page2.nextCursor}`)).body;
    expect(rest.deliveries.map((d: WebhookDeliveryView) => d.id)).to.deep.equal(seen.slice(2));
  });

  it('bad input on every admin endpoint gets a coded error and changes nothing; another organization\'s ids are 404', async () => {
    const { org, api, register, receiver, emit, deliveryOf } = await scene();
    const { endpoint } = await register(['visitor.arrived']);
    const event = await emit();
    const delivery = await until(async () => (await deliveryOf(event.id))?.status === 'delivered' && (await deliveryOf(event.id)), 'a delivery');
    const other = await scene();
    const { endpoint: foreign } = await other.register(['visitor.arrived']);
    const foreignEvent = await other.emit();
    const foreignDelivery = await until(async () => (await other.deliveryOf(foreignEvent.id))?.status === 'delivered' && (await other.deliveryOf(foreignEvent.id)), 'a foreign delivery');

    const state = async () => {
      const dump = await dumpRedis(server.redis.client);
      const webhookKeys = [...dump].filter(([k]) => k.startsWith(`{org:${org.org.id}}:webhook`)).map(([k, v]) => [k, v.value]);
      return JSON.stringify({ webhookKeys, audit: await server.redis.client.xlen(keys.audit(org.org.id)) });
    };
    const before = await state();
    const url = receiver.url;
    const bad: [string, string, unknown][] = [
      ['POST', '/api/admin/webhooks', {}],
      ['POST', '/api/admin/webhooks', { url: 'not a url', events: ['visitor.arrived'] }],
      ['POST', '/api/admin/webhooks', { url: 'ftp://127.0.0.1/x', events: ['visitor.arrived'] }],
      ['POST', '/api/admin/webhooks', { url: url.replace('http://', 'http://user:pw@'), events: ['visitor.arrived'] }],
      ['POST', '/api/admin/webhooks', { url: `${url}#part`, events: ['visitor.arrived'] }],
      ['POST', '/api/admin/webhooks', { url: `http://127.0.0.1/${'a'.repeat(2100)}`, events: ['visitor.arrived'] }],
      ['POST', '/api/admin/webhooks', { url, events: [] }],
      ['POST', '/api/admin/webhooks', { url, events: ['visitor.teleported'] }],
      ['POST', '/api/admin/webhooks', { url, events: ['visitor.arrived', 'visitor.arrived'] }],
      ['POST', '/api/admin/webhooks', { url, events: ['visitor.arrived'], secret: 'mine' }],
      ['POST', '/api/admin/webhooks', [url]],
      ['PATCH', `/api/admin/webhooks/${endpoint.id}`, {}],
      ['PATCH', `/api/admin/webhooks/${endpoint.id}`, { url: 'nope' }],
      ['PATCH', `/api/admin/webhooks/${endpoint.id}`, { events: 'visitor.arrived' }],
      ['POST', `/api/admin/webhooks/${endpoint.id}/rotate-secret`, { overlapMinutes: -1 }],
      ['POST', `/api/admin/webhooks/${endpoint.id}/rotate-secret`, { overlapMinutes: 8 * 24 * 60 }],
      ['POST', `/api/admin/webhooks/${endpoint.id}/rotate-secret`, { overlapMinutes: 1.5 }],
      ['POST', `/api/admin/webhooks/${endpoint.id}/rotate-secret`, { overlapMinutes: '60' }],
      ['GET', '/api/admin/webhook-deliveries?status=lost', undefined],
      ['GET', '/api/admin/webhook-deliveries?before=1700000000000', undefined],
      ['GET', '/api/admin/webhook-deliveries?cursor=yesterday', undefined],
      ['GET', '/api/admin/webhook-deliveries?cursor=a%2Fb', undefined],
      ['GET', '/api/admin/webhook-deliveries?endpointId=xyz', undefined],
      ['GET', '/api/admin/webhook-deliveries?page=2', undefined],
    ];
    for (const [method, path, body] of bad) {
      const res = await api.call(method, path, body);
      expect([res.status, res.body?.error?.code], `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)}`).to.deep.equal([400, 'bad_request']);
    }
    const unknown: [string, string, unknown][] = [
      ['PATCH', `/api/admin/webhooks/${foreign.id}`, { events: ['visitor.left'] }],
      ['DELETE', `/api/admin/webhooks/${foreign.id}`, undefined],
      ['POST', `/api/admin/webhooks/${foreign.id}/rotate-secret`, {}],
      ['DELETE', `/api/admin/webhooks/${foreign.id}/previous-secret`, undefined],
      ['GET', `/api/admin/webhook-deliveries/${foreignDelivery.id}`, undefined],
      ['POST', `/api/admin/webhook-deliveries/${foreignDelivery.id}/resend`, undefined],
      ['PATCH', `/api/admin/webhooks/${newId()}`, { events: ['visitor.left'] }],
      ['DELETE', '/api/admin/webhooks/not-an-id', undefined],
      ['POST', `/api/admin/webhook-deliveries/${newId()}/resend`, undefined],
    ];
    for (const [method, path, body] of unknown) {
      const res = await api.call(method, path, body);
      expect([res.status, res.body?.error?.code], `${method} ${path}`).to.deep.equal([404, 'not_found']);
    }
    // The other organization's list of deliveries does not show in ours either.
    expect((await api.call('GET', '/api/admin/webhook-deliveries')).body.deliveries.map((d: WebhookDeliveryView) => d.id)).to.deep.equal([delivery.id]);
    expect(await state()).to.equal(before);
    expect((await other.api.call('GET', '/api/admin/webhooks')).body.endpoints.map((e: { id: string }) => e.id)).to.deep.equal([foreign.id]);
  });

  it('keeps deliveries 30 days at most and never past the retention; every key has a TTL or is a setting; the outbox keeps nothing delivered; erasing the organization takes its outbox work too', async () => {
    const { org, register, emit, deliveryOf, receiver } = await scene({ retentionDays: 7 });
    await register(['visitor.arrived']);
    const first = await emit();
    const delivered = await until(async () => (await deliveryOf(first.id))?.status === 'delivered' && (await deliveryOf(first.id)), 'delivered');
    const ttl = Number(await server.redis.client.pttl(keys.webhookDelivery(org.org.id, delivered.id)));
    expect(ttl).to.be.above(6 * 86_400_000).and.at.most(7 * 86_400_000);
    for (const [key, keyTtl] of await allKeysWithTtl(server.redis.client)) {
      if (keyTtl === -1) expect(PERMANENT_KEY_PATTERNS.some((p) => p.test(key)), `${key} has no TTL`).to.equal(true);
    }
    const longOrg = await scene({ retentionDays: 365 });
    await longOrg.register(['visitor.arrived']);
    const longEvent = await longOrg.emit();
    const longDelivery = await until(async () => (await longOrg.deliveryOf(longEvent.id))?.status === 'delivered' && (await longOrg.deliveryOf(longEvent.id)), 'delivered');
    expect(await server.redis.client.pttl(keys.webhookDelivery(longOrg.org.org.id, longDelivery.id))).to.be.at.most(30 * 86_400_000);

    // The purge job trims the list as the deliveries expire.
    await server.purge.runOnce(Date.now() + 8 * 86_400_000);
    expect(await server.redis.client.zcard(keys.webhookDeliveries(org.org.id))).to.equal(0);
    expect(await server.redis.client.zcard(keys.webhookDeliveries(longOrg.org.org.id))).to.equal(1);
    await server.purge.runOnce(Date.now() + 31 * 86_400_000);
    expect(await server.redis.client.zcard(keys.webhookDeliveries(longOrg.org.org.id))).to.equal(0);

    // Nothing delivered stays in the outbox.
    await until(async () => (await server.redis.client.xlen(keys.webhookOutbox())) === 0, 'outbox empty');

    // Work still waiting for an endpoint that is down goes with the organization.
    await receiver.close();
    const waiting = await emit();
    await until(async () => ((await deliveryOf(waiting.id))?.attempts ?? 0) >= 1, 'a failed try');
    // Held still meanwhile (this process's deliverer paused), so what is checked below is the erasure's doing.
    await server.services.webhooks.outbox.stop();
    const outboxWork = async () =>
      [...(await server.redis.client.zrange(keys.webhookRetries(), '0', '-1')), JSON.stringify(await server.redis.client.xrange(keys.webhookOutbox(), '-', '+'))].join(' ');
    expect(await outboxWork()).to.contain(org.org.id);
    await closeOrganization(server.services, org.org.id);
    const { ORGANIZATION_DELETION_DAYS } = server.services.config;
    const report = await server.purge.runOnce(Date.now() + (ORGANIZATION_DELETION_DAYS + 1) * 86_400_000);
    expect(report.erasedOrganizations.map((e) => e.orgId)).to.include(org.org.id);
    expect(await scanKeys(server.redis.client, `${keys.allOf(org.org.id)}`)).to.deep.equal([]);
    expect(await outboxWork()).not.to.contain(org.org.id);
    server.services.webhooks.outbox.start();
  });
});

describe('webhooks to private addresses (a server that allows none)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let org: TestOrganization;
  let receiver: TestReceiver;

  before(async () => {
    server = await startTestServer({ env: { WEBHOOK_ALLOW_PLAIN_HTTP: 'true', WEBHOOK_RETRY_BASE_MS: '40' } });
    org = await createOrganization(server.services);
    receiver = await TestReceiver.start();
  });
  after(async () => {
    await receiver?.close();
    await server?.close();
  });

  const refused = () => [
    `http://localhost:${receiver.port}/hooks`,
    `http://127.0.0.1:${receiver.port}/hooks`,
    `http://[::1]:${receiver.port}/hooks`,
    `http://[::ffff:127.0.0.1]:${receiver.port}/hooks`,
    'http://10.0.0.1/hooks',
    'http://192.168.1.20/hooks',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://100.100.100.200/latest/meta-data/',
    'http://0.0.0.0/hooks',
  ];

  it('refuses to register a URL that resolves to a private, loopback, link-local or metadata address, and stores nothing', async () => {
    const admin = await addMember(server.services, org.org.id, { role: 'admin' });
    const api = await memberApi(server, org.org.id, admin.id);
    for (const url of refused()) {
      const res = await api.call('POST', '/api/admin/webhooks', { url, events: ['visitor.arrived'] });
      expect([res.status, res.body.error?.code, res.body.error?.message], url).to.deep.equal([400, 'bad_request', 'url: address_not_allowed']);
    }
    const unresolved = await api.call('POST', '/api/admin/webhooks', { url: 'https://nothing-here.invalid/hooks', events: ['visitor.arrived'] });
    expect(unresolved.body.error.message).to.equal('url: host_unresolved');
    expect(unresolved.body.error.details.fields, 'the field and its code apart, for the form').to.deep.equal([{ field: 'url', code: 'host_unresolved' }]);
    expect((await api.call('GET', '/api/admin/webhooks')).body.endpoints).to.deep.equal([]);
  });

  it('refuses at delivery time too (a name that resolves elsewhere now): no request leaves, the attempt says why', async () => {
    // As if each had resolved to a public address when it was registered.
    for (const url of refused()) await server.services.webhooks.store.createEndpoint(org.org.id, { url, events: ['visitor.arrived'] });
    const event = (await server.services.events.emit(org.org.id, 'visitor.arrived', { visitorId: newId() }))!;
    const store = server.services.webhooks.store;
    const tried = await until(async () => {
      const { deliveries } = await store.listDeliveries(org.org.id, {});
      const mine = deliveries.filter((d) => d.eventId === event.id);
      return mine.length === refused().length && mine.every((d) => d.lastAttempt) && mine;
    }, 'every endpoint tried');
    expect(tried.map((d) => d.lastAttempt!.error)).to.deep.equal(refused().map(() => 'forbidden_address'));
    expect(receiver.received).to.deep.equal([]);
  });
});
