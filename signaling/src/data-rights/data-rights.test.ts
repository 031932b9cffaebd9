import { expect } from 'chai';
import { DEFAULT_CHECK_IN, type VisitorExport, type VisitorMatch } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { startTwilioStandIn } from '../test-support/twilio-stand-in.ts';
import {
  addMember,
  ask,
  callInProgress,
  createOrganization,
  memberApi,
  postJson,
  startTestServer,
  visitorSocket,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';

const SID = `AC${'2'.repeat(32)}`;
const TOKEN = 'twilio-test-auth-token-1111';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/*
 * A visitor's rights, exercised by the organization's admin: find them, export what is held, correct it,
 * erase them at once (their record, messages, index entries, call membership, sockets, and the SMS records
 * at Twilio). Another organization's visitor is as unknown as a made-up one.
 */
describe('data subject rights: find, export, correct, erase (real server, Redis, Twilio stand-in)', function () {
  this.timeout(30_000);
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
  let server: TestServer;
  let org: TestOrganization;
  let admin: Awaited<ReturnType<typeof memberApi>>;

  before(async () => {
    twilio = await startTwilioStandIn(SID, TOKEN);
    server = await startTestServer({ env: { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_FROM: '+4759440001', TWILIO_API_BASE_URL: twilio.url } });
    org = await createOrganization(server.services);
    admin = await memberApi(server, org.org.id, (await addMember(server.services, org.org.id, { role: 'admin' })).id);
    await askPhoneAndBirthDate(org);
  });

  /** The rooms ask for a phone number and a birth date (optional: a call helper checks in with a name only). */
  const askPhoneAndBirthDate = (at: TestOrganization) =>
    server.services.organizations.setCheckIn(at.org.id, at.room.id, {
      ...DEFAULT_CHECK_IN,
      phone: { enabled: true, required: false },
      birthDate: { enabled: true, required: false },
    });
  const otherOrganization = async () => {
    const other = await createOrganization(server.services);
    await askPhoneAndBirthDate(other);
    return other;
  };
  after(async () => {
    await server?.close();
    await twilio?.close();
  });

  const checkIn = async (name: string, phone: string, birthDate: string, at = org) => {
    const res = await postJson(server, '/api/visits', { roomSlug: at.room.slug, answers: { name, phone, birthDate } });
    expect(res.status, await res.clone().text()).to.equal(201);
    return (await res.json()) as { visitorId: string; visitorToken: string };
  };
  const find = async (q: string) => (await admin.call('POST', '/api/admin/visitors/search', { q })).body as { visitors: VisitorMatch[] };

  it('finds a visitor by name, phone number, birth date or id; never another organization’s', async () => {
    const astrid = await checkIn('Astrid Lindqvist', '+47 911 22 333', '1977-04-05');
    await checkIn('Bjørn Lie', '+47 922 33 444', '1980-01-01');
    const other = await otherOrganization();
    await checkIn('Astrid Annen', '+47 933 44 555', '1990-02-02', other);
    expect((await find('lindq')).visitors.map((v) => v.name)).to.deep.equal(['Astrid Lindqvist']);
    expect((await find('astrid')).visitors.map((v) => v.name), 'not the other organization’s Astrid').to.deep.equal(['Astrid Lindqvist']);
    expect((await find('91122333')).visitors.map((v) => v.visitorId)).to.deep.equal([astrid.visitorId]);
    expect((await find('1977-04-05')).visitors).to.have.length(1);
    expect((await find(astrid.visitorId)).visitors[0]).to.include({ name: 'Astrid Lindqvist', roomName: org.room.name, state: 'waiting' });
    const short = await admin.call('POST', '/api/admin/visitors/search', { q: 'a' });
    expect([short.status, short.body.error.message]).to.deep.equal([400, 'q: too_short']);
  });

  it('exports everything held about a visitor, including their calls and technical data', async () => {
    const { visitorId, callId, pro, visitor } = await callInProgress(server, org, 'Eksport Person');
    expect((await ask(visitor, 'call:quality', { callId, rating: 'good', lossPercent: 0.5, rttMs: 40 })).ok).to.equal(true);
    expect((await ask(pro, 'call:hang-up', { callId })).ok).to.equal(true);
    const res = await admin.call('GET', `/api/admin/visitors/${visitorId}/export`);
    expect(res.status).to.equal(200);
    const data = res.body as VisitorExport;
    expect(data.visitor).to.include({ visitorId, name: 'Eksport Person', state: 'ended' });
    expect(data.visitor.admittedAt).to.be.a('number');
    expect(data.calls.map((c) => c.callId)).to.deep.equal([callId]);
    expect(data.calls[0]!.technicalData).to.deep.include.members([{ at: (data.calls[0]!.technicalData[0] as { at: number }).at, role: 'visitor', kind: 'quality', rating: 'good', lossPercent: 0.5, rttMs: 40 }]);
    expect(data.messages.count).to.equal(0);
    expect((await admin.call('GET', `/api/admin/visitors/${'f'.repeat(32)}/export`)).status).to.equal(404);
    const { entries } = await server.services.audit.list(org.org.id, { action: 'export' });
    expect(entries.map((e) => e.targetId), 'the export is audited').to.deep.equal([visitorId]);
    pro.disconnect();
    visitor.disconnect();
  });

  it('corrects the name and answers as the form would check them; a bad value changes nothing', async () => {
    const { visitorId } = await checkIn('Feil Navn', '+47 944 55 666', '1970-10-10');
    const bad = await admin.call('PATCH', `/api/admin/visitors/${visitorId}`, { phone: 'call me' });
    expect([bad.status, bad.body.error.message]).to.deep.equal([400, 'phone: phone_invalid']);
    expect((await admin.call('PATCH', `/api/admin/visitors/${visitorId}`, { name: 'Riktig Navn', phone: '+47 955 66 777' })).status).to.equal(200);
    const now = await server.services.waitingRoom.getVisitor(org.org.id, visitorId);
    expect([now?.name, now?.checkIn?.phone, now?.checkIn?.birthDate]).to.deep.equal(['Riktig Navn', '+47 955 66 777', '1970-10-10']);
    const stored = JSON.stringify(await server.redis.client.hgetall(keys.visitor(org.org.id, visitorId)));
    expect(stored, 'encrypted as before').not.to.include('Riktig');
    const other = await otherOrganization();
    const foreign = await checkIn('Annen Org', '+47 966 77 888', '1960-06-06', other);
    // Another organization's visitor is as unknown as a made-up one: no correction, export or erasure.
    expect((await admin.call('PATCH', `/api/admin/visitors/${foreign.visitorId}`, { name: 'Hacked' })).status).to.equal(404);
    expect((await admin.call('GET', `/api/admin/visitors/${foreign.visitorId}/export`)).status).to.equal(404);
    expect((await admin.call('DELETE', `/api/admin/visitors/${foreign.visitorId}`)).status).to.equal(404);
    expect((await admin.call('DELETE', '/api/admin/visitors/not-an-id')).status).to.equal(404);
    expect((await server.services.waitingRoom.getVisitor(other.org.id, foreign.visitorId))?.name).to.equal('Annen Org');
  });

  it('erases a visitor at once: disconnected, off every list, no call names them, Twilio’s SMS records deleted, nothing left to find', async () => {
    // The room's professional gets an SMS when someone arrives: Twilio then holds a message about this visitor.
    const pro = await memberApi(server, org.org.id, org.professional.id);
    expect((await pro.call('POST', '/api/settings/sms/phone', { phone: '+4798765432' })).status).to.equal(204);
    const code = /\b(\d{6})\b/.exec(twilio.sent.at(-1)!.body)![1]!;
    expect((await pro.call('POST', '/api/settings/sms/verify', { code })).status).to.equal(200);

    const first = await callInProgress(server, org, 'Slett Meg');
    expect((await ask(first.pro, 'call:send-back', { callId: first.callId })).ok).to.equal(true);
    const arrivalSms = twilio.sent.filter((m) => m.to === '+4798765432' && m.body.includes('waiting'));
    expect(arrivalSms).to.have.length(1);

    expect((await admin.call('DELETE', `/api/admin/visitors/${first.visitorId}`)).status).to.equal(204);
    await sleep(200);
    expect(first.visitor.connected, 'their sockets are closed').to.equal(false);
    expect(twilio.deleted, 'the arrival SMS record is deleted at Twilio').to.have.length(1);
    // Anywhere but the audit log, which names who was acted on by their opaque id (and nothing else of them).
    const outsideAudit = [...(await dumpRedis(server.redis.client))].filter(([key]) => !/:audit(-|$)/.test(key));
    expect(JSON.stringify(outsideAudit), 'no trace of the visitor’s id anywhere').not.to.include(first.visitorId);
    expect(await server.redis.client.hget(keys.call(org.org.id, first.callId), 'visitorId')).to.equal('erased');
    expect((await find('Slett')).visitors).to.deep.equal([]);
    expect((await admin.call('GET', `/api/admin/visitors/${first.visitorId}/export`)).status).to.equal(404);
    expect((await admin.call('DELETE', `/api/admin/visitors/${first.visitorId}`)).status, 'erased is gone').to.equal(404);
    // The audit log says an admin erased someone, by the opaque id only.
    const { entries } = await server.services.audit.list(org.org.id, { action: 'erasure' });
    expect(entries.map((e) => e.targetId)).to.include(first.visitorId);
    expect(await visitorSocket(server, (await checkIn('Ny', '+47 977 88 999', '1999-09-09')).visitorToken).then((s) => s.connected)).to.equal(true);
    first.pro.disconnect();
  });

  it('a member who is not an admin can do none of this', async () => {
    const member = await memberApi(server, org.org.id, org.professional.id);
    const { visitorId } = await checkIn('Privat Person', '+47 988 99 000', '1985-05-05');
    for (const [method, path] of [
      ['POST', '/api/admin/visitors/search'],
      ['GET', `/api/admin/visitors/${visitorId}/export`],
      ['PATCH', `/api/admin/visitors/${visitorId}`],
      ['DELETE', `/api/admin/visitors/${visitorId}`],
    ] as const) {
      const res = await member.call(method, path, method === 'PATCH' ? { name: 'X' } : method === 'POST' ? { q: 'Privat' } : undefined);
      expect([res.status, res.body.error.code], `${method} ${path}`).to.deep.equal([403, 'forbidden']);
    }
    expect((await server.services.waitingRoom.getVisitor(org.org.id, visitorId))?.name).to.equal('Privat Person');
  });
});
