import { expect } from 'chai';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { ApiConsultation, ApiConsultationCreated, ApiConsultationPage, ApiKeyCreated, ApiKeyList, ConsultationEvent, VisitResponse } from '../../protocol/index.ts';
import {
  addMember,
  ask,
  createOrganization,
  memberApi,
  postJson,
  professionalSocket,
  recordEvents,
  startTestServer,
  visitorSocket,
  type TestOrganization,
  type TestServer,
  linkTokenOf,
  lookUpConsultationLink,
} from '../test-support/test-server.ts';
import { startTwilioStandIn } from '../test-support/twilio-stand-in.ts';
import { keys, PERMANENT_KEY_PATTERNS } from '../redis/keys.ts';
import { allKeysWithTtl } from '../test-support/redis-keys.ts';
import { closeOrganization } from '../retention/organization-deletion.ts';
import { apiV1 } from './api-v1.ts';

const SID = `AC${'2'.repeat(32)}`;
const TOKEN = 'twilio-test-auth-token-0000';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RATE_LIMIT = 40;

/*
 * The REST API v1 as an EHR system uses it: over HTTP with a bearer API key an admin made in the
 * dashboard, against a real server, Redis and mediasoup, the real Twilio SDK against a local stand-in.
 */
describe('REST API v1 (real server, Redis, Twilio stand-in)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
  let org: TestOrganization;
  let admin: Awaited<ReturnType<typeof memberApi>>;
  const events: ConsultationEvent[] = [];

  /** A new key of the organization, made through the admins' page (each test its own, for the per-key limits). */
  async function newKey(a = admin, name = 'EHR test'): Promise<ApiKeyCreated> {
    const res = await a.call('POST', '/api/admin/api-keys', { name });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as ApiKeyCreated;
  }

  /** A v1 call as a server makes it: no Origin, no cookie, the key as a bearer token. */
  async function v1(key: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(key !== null ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
  }

  const create = (key: string, body: Record<string, unknown>) => v1(key, 'POST', '/api/v1/consultations', { roomId: org.room.id, externalReference: 'EHR-1', ...body });
  const indexSize = (orgId = org.org.id) => server.redis.client.zcard(keys.consultations(orgId));

  before(async () => {
    twilio = await startTwilioStandIn(SID, TOKEN);
    server = await startTestServer({
      env: {
        TWILIO_ACCOUNT_SID: SID,
        TWILIO_AUTH_TOKEN: TOKEN,
        TWILIO_FROM: '+4759440000',
        TWILIO_API_BASE_URL: twilio.url,
        API_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
        API_SMS_PER_KEY_PER_DAY: '2',
        API_SMS_PER_ORGANIZATION_PER_DAY: '3',
        RETENTION_TEST_MINIMUM_SECONDS: '1',
      },
    });
    server.services.events.subscribe(async (e) => void events.push(e));
    org = await createOrganization(server.services, { retentionDays: 30 });
    const a = await addMember(server.services, org.org.id, { role: 'admin' });
    admin = await memberApi(server, org.org.id, a.id);
  });
  after(async () => {
    await server?.close();
    await twilio?.close();
  });

  it('admins make API keys (shown once, kept as a hash), list them with their last use, and revoke them at once; audited', async () => {
    const key = await newKey(admin, 'Journal system');
    expect(key.key).to.match(/^consult_[0-9a-f]{32}\.[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    const stored = await server.redis.client.hgetall(keys.apiKey(org.org.id, key.id));
    expect(JSON.stringify(stored)).not.to.include(key.key.split('.')[2]);
    let list = (await admin.call('GET', '/api/admin/api-keys')).body as ApiKeyList;
    const row = list.keys.find((k) => k.id === key.id);
    expect(row).to.deep.equal({ id: key.id, name: 'Journal system', createdAt: key.createdAt, lastUsedAt: null });
    expect(JSON.stringify(list)).not.to.include(key.key);

    expect((await v1(key.key, 'GET', '/api/v1/consultations')).status).to.equal(200);
    list = (await admin.call('GET', '/api/admin/api-keys')).body as ApiKeyList;
    expect(list.keys.find((k) => k.id === key.id)!.lastUsedAt).to.be.a('number');

    // A member who is not an admin is told it is for admins; another organization's key id is unknown.
    const member = await memberApi(server, org.org.id, org.professional.id);
    expect((await member.call('POST', '/api/admin/api-keys', { name: 'mine' })).status).to.equal(403);
    expect((await member.call('GET', '/api/admin/api-keys')).status).to.equal(403);
    const other = await createOrganization(server.services);
    const otherAdmin = await memberApi(server, other.org.id, (await addMember(server.services, other.org.id, { role: 'admin' })).id);
    expect((await otherAdmin.call('DELETE', `/api/admin/api-keys/${key.id}`)).status).to.equal(404);
    expect((await admin.call('POST', '/api/admin/api-keys', { name: '' })).status).to.equal(400);

    expect((await admin.call('DELETE', `/api/admin/api-keys/${key.id}`)).status).to.equal(204);
    expect((await v1(key.key, 'GET', '/api/v1/consultations')).status).to.equal(401);
    expect((await admin.call('DELETE', `/api/admin/api-keys/${key.id}`)).status).to.equal(404);

    const audit = (await admin.call('GET', '/api/admin/audit?action=api_key_change')).body as { entries: { targetId: string; detail: Record<string, string> }[] };
    expect(audit.entries.filter((e) => e.targetId === key.id).map((e) => e.detail.change)).to.have.members(['api_key_created', 'api_key_revoked']);
  });

  it('answers a missing, malformed, unknown or revoked key, a cookie and another scheme with the very same 401', async () => {
    const size = await indexSize();
    const revoked = await newKey();
    await admin.call('DELETE', `/api/admin/api-keys/${revoked.id}`);
    const good = await newKey();
    const [, orgPart, idPart] = /^consult_([0-9a-f]{32})\.([0-9a-f]{32})\./.exec(good.key)!;
    const attempts: [string, () => ReturnType<typeof v1>][] = [
      ['missing', () => v1(null, 'GET', '/api/v1/consultations')],
      ['malformed', () => v1('nonsense', 'GET', '/api/v1/consultations')],
      ['unknown', () => v1(`consult_${orgPart}.${'0'.repeat(32)}.${'A'.repeat(43)}`, 'GET', '/api/v1/consultations')],
      ['wrong secret', () => v1(`consult_${orgPart}.${idPart}.${'B'.repeat(43)}`, 'GET', '/api/v1/consultations')],
      ['revoked', () => v1(revoked.key, 'GET', '/api/v1/consultations')],
      ['a dashboard session cookie', () => v1(null, 'GET', '/api/v1/consultations', undefined, { cookie: admin.cookie })],
      ['a cookie on a change', () => v1(null, 'POST', '/api/v1/consultations', { roomId: org.room.id, externalReference: 'x' }, { cookie: admin.cookie, origin: server.origin })],
      ['basic auth', () => v1(null, 'GET', '/api/v1/consultations', undefined, { authorization: `Basic ${Buffer.from(`x:${good.key}`).toString('base64')}` })],
    ];
    const answers = [];
    for (const [what, attempt] of attempts) {
      const res = await attempt();
      expect(res.status, what).to.equal(401);
      expect(res.headers.get('www-authenticate'), what).to.match(/^Bearer/);
      answers.push(res.text);
    }
    expect(new Set(answers).size, 'one body for all').to.equal(1);
    expect(JSON.parse(answers[0]!)).to.deep.include({ error: { code: 'unauthorized', message: JSON.parse(answers[0]!).error.message } });
    expect(await indexSize(), 'nothing was created').to.equal(size);
  });

  it('creates the consultation the dashboard creates: encrypted reference and prefill, its own price, a 256-bit link until its retention ends', async () => {
    const { key } = await newKey();
    const at = new Date(Date.now() + 3 * HOUR);
    const before = events.length;
    const res = await create(key, {
      scheduledAt: at.toISOString(),
      externalReference: 'EHR-4711',
      visitor: { name: 'Kari Nordmann', phone: '+4791234567' },
      price: { amount: 45000, currency: 'NOK' },
    });
    expect(res.status, res.text).to.equal(201);
    const c = res.body as ApiConsultationCreated;
    expect(c).to.deep.include({ status: 'scheduled', roomId: org.room.id, externalReference: 'EHR-4711', scheduledAt: at.toISOString(), arrivedAt: null, callSeconds: null });
    expect(c.price).to.deep.equal({ amount: 45000, currency: 'NOK' });
    expect(c.visitorLink).to.match(new RegExp(`^${server.origin}/c/${org.org.id}\\.${c.id}#[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(c.visitorLinkExpiresAt)).to.be.closeTo(at.getTime() + 30 * DAY, 60_000);
    const key_ = keys.consultation(org.org.id, c.id);
    expect(await server.redis.client.pttl(key_)).to.be.within(30 * DAY + 3 * HOUR - 60_000, 30 * DAY + 3 * HOUR);
    const raw = JSON.stringify(await server.redis.client.hgetall(key_));
    for (const plain of ['EHR-4711', 'Kari', '91234567', c.visitorLink.split('#').at(-1)!]) expect(raw, plain).not.to.include(plain);
    expect(events.slice(before).map((e) => [e.type, e.consultationId, e.externalReference])).to.deep.include(['consultation.created', c.id, 'EHR-4711']);

    // The visitor's page: prefilled form, the consultation's price instead of the room's (free) one.
    const token = linkTokenOf(c.visitorLink);
    const info = await (await lookUpConsultationLink(server, token)).json();
    expect(info).to.deep.include({ price: { amount: 45000, currency: 'NOK' }, prefill: { name: 'Kari Nordmann', phone: '+4791234567' }, appointmentAt: at.getTime() });
    // So the check-in asks for a card payment (this server has no Stripe: it says so, and keeps nothing).
    const checkIn = await postJson(server, '/api/visits', { consultation: token, answers: { name: 'Kari Nordmann' } });
    expect(checkIn.status).to.equal(503);
    expect((await checkIn.json()).error.code).to.equal('payments_unavailable');

    const got = await v1(key, 'GET', `/api/v1/consultations/${c.id}`);
    expect(got.status).to.equal(200);
    const { visitorLink: _l, visitorLinkExpiresAt: _e, ...view } = c;
    expect(got.body).to.deep.equal(view);

    // The dashboard's own route keeps working, and reports the same event.
    const dashboard = await memberApi(server, org.org.id, org.professional.id);
    const made = await dashboard.call('POST', '/api/consultations', { roomId: org.room.id });
    expect(made.status).to.equal(201);
    expect(events.map((e) => [e.type, e.consultationId])).to.deep.include(['consultation.created', made.body.consultationId]);
    const seen = await v1(key, 'GET', `/api/v1/consultations/${made.body.consultationId}`);
    expect(seen.body).to.deep.include({ status: 'scheduled', externalReference: null });
  });

  it('refuses bad input at every endpoint with a coded error, and changes nothing', async () => {
    const { key } = await newKey();
    const c = (await create(key, { visitor: { phone: '+4791234567' } })).body as ApiConsultation;
    const size = await indexSize();
    const sent = twilio.sent.length;
    const bad: [string, ReturnType<typeof v1>][] = [
      ['no reference', v1(key, 'POST', '/api/v1/consultations', { roomId: org.room.id })],
      ['bad room id', create(key, { roomId: 'room-1' })],
      ['not a time', create(key, { scheduledAt: 'tomorrow' })],
      ['a time as ms', create(key, { scheduledAt: Date.now() + HOUR })],
      ['beyond a year', create(key, { scheduledAt: new Date(Date.now() + 400 * DAY).toISOString() })],
      ['bad phone', create(key, { visitor: { phone: '91234567' } })],
      ['price too low', create(key, { price: { amount: 1, currency: 'NOK' } })],
      ['unknown currency', create(key, { price: { amount: 10000, currency: 'USD' } })],
      ['extra field', create(key, { room: 'x' })],
      ['reference too long', create(key, { externalReference: 'x'.repeat(201) })],
      ['malformed JSON', v1(key, 'POST', '/api/v1/consultations', '{"roomId":')],
      ['list: unknown status', v1(key, 'GET', '/api/v1/consultations?status=done')],
      ['list: limit 0', v1(key, 'GET', '/api/v1/consultations?limit=0')],
      ['list: limit 500', v1(key, 'GET', '/api/v1/consultations?limit=500')],
      ['list: bad cursor', v1(key, 'GET', '/api/v1/consultations?cursor=abc')],
      ['list: from after to', v1(key, 'GET', `/api/v1/consultations?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z`)],
      ['list: unknown filter', v1(key, 'GET', '/api/v1/consultations?room=x')],
      ['get: malformed id', v1(key, 'GET', '/api/v1/consultations/123')],
      ['cancel: malformed id', v1(key, 'DELETE', '/api/v1/consultations/123')],
      ['sms: malformed id', v1(key, 'POST', '/api/v1/consultations/123/sms-invitation', {})],
      ['sms: bad phone', v1(key, 'POST', `/api/v1/consultations/${c.id}/sms-invitation`, { phone: 'call me' })],
      ['sms: extra field', v1(key, 'POST', `/api/v1/consultations/${c.id}/sms-invitation`, { phone: '+4791234567', text: 'hi' })],
    ];
    for (const [what, attempt] of bad) {
      const res = await attempt;
      expect(res.status, `${what}: ${res.text}`).to.equal(400);
      expect(res.body.error.code, what).to.equal('bad_request');
    }
    expect(await indexSize()).to.equal(size);
    expect(twilio.sent.length).to.equal(sent);
    expect((await v1(key, 'GET', `/api/v1/consultations/${c.id}`)).body.status).to.equal('scheduled');
    expect((await create(key, { roomId: 'f'.repeat(32) })).status, 'unknown room').to.equal(404);
    expect((await v1(key, 'GET', '/api/v1/nothing-here')).body.error.code).to.equal('not_found');
  });

  it("keeps every call within the key's organization: another organization's ids are unknown", async () => {
    const { key } = await newKey();
    const ours = (await create(key, { visitor: { phone: '+4791234567' } })).body as ApiConsultation;
    const other = await createOrganization(server.services);
    const otherAdmin = await memberApi(server, other.org.id, (await addMember(server.services, other.org.id, { role: 'admin' })).id);
    const theirKey = (await newKey(otherAdmin)).key;
    const sent = twilio.sent.length;
    expect((await v1(theirKey, 'GET', `/api/v1/consultations/${ours.id}`)).status).to.equal(404);
    expect((await v1(theirKey, 'DELETE', `/api/v1/consultations/${ours.id}`)).status).to.equal(404);
    expect((await v1(theirKey, 'POST', `/api/v1/consultations/${ours.id}/sms-invitation`, {})).status).to.equal(404);
    expect((await create(theirKey, {})).status, "our room with their key").to.equal(404);
    const theirList = (await v1(theirKey, 'GET', '/api/v1/consultations')).body as ApiConsultationPage;
    expect(theirList.consultations.map((x) => x.id)).not.to.include(ours.id);
    expect((await v1(theirKey, 'GET', `/api/v1/consultations?externalReference=EHR-1`)).body.consultations).to.deep.equal([]);
    expect((await v1(key, 'GET', `/api/v1/consultations/${ours.id}`)).body.status).to.equal('scheduled');
    expect(twilio.sent.length).to.equal(sent);
  });

  it('lists a page at a time, newest first, filtered by status, time and external reference', async () => {
    const fresh = await createOrganization(server.services, { retentionDays: 30 });
    const freshAdmin = await memberApi(server, fresh.org.id, (await addMember(server.services, fresh.org.id, { role: 'admin' })).id);
    const { key } = await newKey(freshAdmin);
    const base = Date.now() + DAY;
    const made: ApiConsultation[] = [];
    // Nine consultations; two pairs at the same time (the cursor must order equal times too).
    const offsets = [0, 1, 1, 2, 3, 3, 4, 5, 6];
    for (const [i, h] of offsets.entries()) {
      const res = await v1(key, 'POST', '/api/v1/consultations', {
        roomId: fresh.room.id,
        scheduledAt: new Date(base + h * HOUR).toISOString(),
        externalReference: i % 3 === 0 ? 'PATIENT-A' : `REF-${i}`,
      });
      expect(res.status, res.text).to.equal(201);
      made.push(res.body);
    }
    await v1(key, 'DELETE', `/api/v1/consultations/${made[2]!.id}`);
    await v1(key, 'DELETE', `/api/v1/consultations/${made[7]!.id}`);

    const walk = async (query: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const res = await v1(key, 'GET', `/api/v1/consultations?limit=2${query}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status, res.text).to.equal(200);
        const page = res.body as ApiConsultationPage;
        expect(page.consultations.length).to.be.at.most(2);
        ids.push(...page.consultations.map((c) => c.id));
        cursor = page.nextCursor;
        if (!cursor) return ids;
      }
      throw new Error('no end of pages');
    };
    const all = await walk('');
    expect(all).to.have.length(9);
    expect(new Set(all).size).to.equal(9);
    const times = all.map((id) => Date.parse(made.find((m) => m.id === id)!.scheduledAt!));
    expect(times).to.deep.equal([...times].sort((a, b) => b - a));

    expect(await walk('&status=cancelled')).to.have.members([made[2]!.id, made[7]!.id]);
    expect(await walk('&status=scheduled')).to.have.length(7);
    expect(await walk('&externalReference=PATIENT-A')).to.deep.equal([made[6]!.id, made[3]!.id, made[0]!.id]);
    const from = new Date(base + 1 * HOUR).toISOString();
    const to = new Date(base + 3 * HOUR).toISOString();
    expect(await walk(`&from=${from}&to=${to}`)).to.have.members([made[1]!.id, made[2]!.id, made[3]!.id]);
    expect(await walk(`&from=${from}&to=${to}&status=scheduled`)).to.have.members([made[1]!.id, made[3]!.id]);
    const { body: one } = await v1(key, 'GET', `/api/v1/consultations?externalReference=REF-4`);
    expect(one.consultations.map((c: ApiConsultation) => c.id)).to.deep.equal([made[4]!.id]);
  });

  it('cancelling stops the link and takes a waiting visitor out of the line, who is told; a consultation in a call is refused', async () => {
    const { key } = await newKey();
    const c = (await create(key, {})).body as ApiConsultationCreated;
    const token = linkTokenOf(c.visitorLink);
    const checkIn = await postJson(server, '/api/visits', { consultation: token, answers: { name: 'Ola Nordmann' } });
    expect(checkIn.status).to.equal(201);
    const visit = (await checkIn.json()) as VisitResponse;
    const visitor = await visitorSocket(server, visit.visitorToken);
    const visitorHears = recordEvents(visitor);
    const pro = await professionalSocket(server, (await memberApi(server, org.org.id, org.professional.id)).cookie);
    const proHears = recordEvents(pro);
    const before = events.length;

    const res = await v1(key, 'DELETE', `/api/v1/consultations/${c.id}`);
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.include({ status: 'cancelled' });
    expect(res.body.cancelledAt).to.be.a('string');
    await visitorHears.waitFor('visit:cancelled');
    const removed = await proHears.waitFor<{ visitorId: string }>('queue:removed', (e) => e.visitorId === visit.visitorId);
    expect(removed).to.deep.include({ visitorId: visit.visitorId, reason: 'cancelled' });
    const status = await ask(visitor, 'visit:status', {});
    expect(status.ok && status.visit).to.deep.equal({ state: 'ended', reason: 'cancelled' });
    const list = await ask(pro, 'queue:list', {});
    expect(list.ok && list.visitors.map((v: { visitorId: string }) => v.visitorId)).not.to.include(visit.visitorId);
    expect(events.slice(before).map((e) => [e.type, e.consultationId])).to.deep.equal([['consultation.cancelled', c.id]]);

    // The link says the consultation was cancelled (to its holder only: the secret is in it), and checks no one in.
    const linkInfo = await lookUpConsultationLink(server, token);
    expect([linkInfo.status, ((await linkInfo.json()) as { linkState?: string }).linkState]).to.deep.equal([200, 'cancelled']);
    expect((await postJson(server, '/api/visits', { consultation: token, answers: { name: 'Ola Nordmann' } })).status).to.equal(404);
    // Again: no change, no second event.
    const again = await v1(key, 'DELETE', `/api/v1/consultations/${c.id}`);
    expect(again.status).to.equal(200);
    expect(again.body.cancelledAt).to.equal(res.body.cancelledAt);
    expect(events.slice(before)).to.have.length(1);
    expect((await v1(key, 'POST', `/api/v1/consultations/${c.id}/sms-invitation`, { phone: '+4791234567' })).body.error.code).to.equal('consultation_closed');

    // A consultation whose visitor was admitted is not cancelled under them.
    const inCall = (await create(key, {})).body as ApiConsultationCreated;
    const second = (await (await postJson(server, '/api/visits', { consultation: linkTokenOf(inCall.visitorLink), answers: { name: 'Per' } })).json()) as VisitResponse;
    const admitted = await ask(pro, 'queue:admit', { visitorId: second.visitorId });
    expect(admitted.ok, JSON.stringify(admitted)).to.equal(true);
    // Its progress, as the waiting room and the call moved it.
    const progress = (await v1(key, 'GET', `/api/v1/consultations/${inCall.id}`)).body as ApiConsultation;
    expect(progress.status).to.equal('in_call');
    expect(Date.parse(progress.arrivedAt!)).to.be.at.most(Date.parse(progress.admittedAt!));
    expect(progress).to.deep.include({ endedAt: null, callSeconds: null });
    const refused = await v1(key, 'DELETE', `/api/v1/consultations/${inCall.id}`);
    expect(refused.status).to.equal(409);
    expect(refused.body.error.code).to.equal('consultation_in_call');
    expect((await server.redis.client.hget(keys.consultation(org.org.id, inCall.id), 'state'))).not.to.equal('cancelled');
    visitor.disconnect();
    pro.disconnect();
  });

  it('sends the link by SMS to the prefilled or given number, within the per-key and per-organization limits and the allowed countries', async () => {
    const fresh = await createOrganization(server.services);
    const freshAdmin = await memberApi(server, fresh.org.id, (await addMember(server.services, fresh.org.id, { role: 'admin' })).id);
    const [keyA, keyB] = [(await newKey(freshAdmin)).key, (await newKey(freshAdmin)).key];
    const make = async (key: string, visitor?: object) =>
      (await v1(key, 'POST', '/api/v1/consultations', { roomId: fresh.room.id, externalReference: 'X', ...(visitor ? { visitor } : {}) })).body as ApiConsultationCreated;
    const c = await make(keyA, { phone: '+4791234567' });
    const sms = (key: string, id: string, body: object = {}) => v1(key, 'POST', `/api/v1/consultations/${id}/sms-invitation`, body);

    const first = await sms(keyA, c.id);
    expect(first.status, first.text).to.equal(202);
    expect(first.body).to.deep.equal({ status: 'sent', to: '********567' });
    const message = twilio.sent.at(-1)!;
    expect(message.to).to.equal('+4791234567');
    expect(message.body).to.include(c.visitorLink);
    const sid = `SM${String(twilio.sent.length).padStart(32, '0')}`;
    expect(await server.redis.client.smembers(keys.consultationSms(fresh.org.id, c.id))).to.deep.equal([sid]);

    const sent = twilio.sent.length;
    for (const phone of ['+12025550123', '+882123456789', '+4412345678']) {
      const refused = await sms(keyA, c.id, { phone });
      expect(refused.status, phone).to.equal(400);
      expect(refused.body.error.code).to.equal('phone_not_allowed');
    }
    const noPhone = await make(keyA);
    expect((await sms(keyA, noPhone.id)).body.error.code, 'no number anywhere').to.equal('bad_request');
    expect(twilio.sent.length).to.equal(sent);

    expect((await sms(keyA, c.id, { phone: '+46701234567' })).status, 'Swedish number').to.equal(202);
    const perKey = await sms(keyA, c.id);
    expect(perKey.status, 'third of key A').to.equal(429);
    expect(perKey.body.error.message).to.include('per API key');
    expect((await sms(keyB, c.id, { phone: '+4512345678' })).status, 'first of key B').to.equal(202);
    const perOrg = await sms(keyB, c.id);
    expect(perOrg.status, 'fourth of the organization').to.equal(429);
    expect(perOrg.body.error.message).to.include('per organization');
    expect(twilio.sent.length).to.equal(sent + 2);
  });

  it('limits calls per key with 429 and Retry-After; other keys go on', async () => {
    const { key } = await newKey();
    for (let i = 0; i < RATE_LIMIT; i++) expect((await v1(key, 'GET', '/api/v1/consultations?limit=1')).status).to.equal(200);
    const limited = await v1(key, 'GET', '/api/v1/consultations?limit=1');
    expect(limited.status).to.equal(429);
    expect(limited.body.error.code).to.equal('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
    expect((await create(key, {})).status, 'a change too').to.equal(429);
    expect((await v1((await newKey()).key, 'GET', '/api/v1/consultations?limit=1')).status).to.equal(200);
  });

  it('describes itself in a valid OpenAPI 3.1 document that has every route of the router, and a reference page within the CSP', async () => {
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(res.status).to.equal(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> }; webhooks: object };
    const result = await new Validator().validate(doc as never);
    expect(result.valid, JSON.stringify(result.errors, null, 2)).to.equal(true);
    expect(doc.openapi).to.equal('3.1.0');

    // Every route the router serves (read from Express' own route table) is in the document.
    const { router } = apiV1(server.services, null);
    const served = (router as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] }).stack
      .filter((layer) => layer.route && !layer.route.path.startsWith('/api/v1/openapi') && !layer.route.path.startsWith('/api/v1/docs'))
      .flatMap((layer) => Object.keys(layer.route!.methods).map((m) => [m, layer.route!.path.replace(/:([A-Za-z]+)/g, '{$1}')] as const));
    const describe_ = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as typeof doc;
    expect(served.length).to.be.greaterThan(4);
    for (const [method, path] of served) expect(describe_.paths[path]?.[method], `${method} ${path}`).to.be.an('object');
    expect(doc.components.schemas).to.have.property('ConsultationEvent');
    expect(JSON.stringify(doc.webhooks)).to.include('#/components/schemas/ConsultationEvent');
    // Each webhook documents its signature header and how to verify it.
    const hooks = Object.values(doc.webhooks as Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean; description?: string }[] }>>).flatMap((item) => Object.values(item));
    expect(hooks).to.not.be.empty;
    for (const hook of hooks) {
      const signature = hook.parameters?.find((p) => p.in === 'header' && p.name === 'Consult-Signature');
      expect(signature, 'the Consult-Signature header').to.deep.include({ required: true });
      expect(signature!.description).to.include('HMAC-SHA256').and.include('<t>.<raw body>').and.include('5 minutes').and.include('several v1');
    }

    const page = await fetch(`${server.url}/api/v1/docs`);
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(page.headers.get('content-security-policy')).to.include("script-src 'self'");
    expect(html).to.include('/api/v1/consultations/{id}/sms-invitation');
    expect(html).to.include('Consult-Signature');
    expect(html).not.to.match(/<script|style=|https?:\/\/(?!127\.0\.0\.1)/);
    expect((await fetch(`${server.url}/api/v1/docs.css`)).status).to.equal(200);
  });

  it('trims the consultation indexes when retention passes, and closing the organization revokes its keys', async () => {
    const short = await createOrganization(server.services, { retentionSeconds: 60 });
    const shortAdmin = await memberApi(server, short.org.id, (await addMember(server.services, short.org.id, { role: 'admin' })).id);
    const { key } = await newKey(shortAdmin);
    const c = (await v1(key, 'POST', '/api/v1/consultations', { roomId: short.room.id, externalReference: 'GONE-1' })).body as ApiConsultation;
    const refKeys = async () => (await server.redis.client.keys(`{org:${short.org.id}}:consultation-ref*`)).sort();
    expect(await refKeys()).to.have.length(2);
    for (const k of [keys.consultations(short.org.id), ...(await refKeys())]) expect(await server.redis.client.pttl(k), k).to.be.within(1, 60_000);
    // The purge job's pass as if the minute had passed (it takes the time as an argument).
    await server.purge.runOnce(Date.now() + 61_000);
    expect(await server.redis.client.zcard(keys.consultations(short.org.id))).to.equal(0);
    for (const k of await refKeys()) expect(await server.redis.client.zcard(k), k).to.equal(0);
    expect(c.id).to.be.a('string');

    await closeOrganization(server.services, short.org.id);
    expect((await v1(key, 'GET', '/api/v1/consultations')).status).to.equal(401);
    expect(await server.redis.client.keys(`{org:${short.org.id}}:api-key*`)).to.deep.equal([]);
  });

  it('left every key it wrote with a TTL, but the permanent ones (API keys among them)', async () => {
    const missing = [...(await allKeysWithTtl(server.redis.client))].filter(([key, ttl]) => ttl < 0 && !PERMANENT_KEY_PATTERNS.some((p) => p.test(key)));
    expect(missing).to.deep.equal([]);
  });
});
