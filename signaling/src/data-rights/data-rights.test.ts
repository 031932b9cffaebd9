import { expect } from 'chai';
import { DEFAULT_CHECK_IN, type ConsultationCreated, type InviteeExport, type VisitorExport, type VisitorMatch, type VisitorSearchResult } from '../../protocol/index.ts';
import { ErasureLedger } from '../backup/erasure-ledger.ts';
import { SmtpStandIn } from '../test-support/smtp-stand-in.ts';
import { keys } from '../redis/keys.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { eventually } from '../test-support/eventually.ts';
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
    await eventually(() => !first.visitor.connected && twilio.deleted.length > 0, { what: 'their sockets closed and the SMS record deleted at Twilio' });
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

/*
 * Someone a professional invited by phone number and e-mail address who never opened the link has the same
 * rights: the admin finds them by the number (as people write it) or the address, exports what was sent to
 * them, and erases it all at once: the number, the address, the link sent, the texts at Twilio, the e-mails
 * with what became of them, and the reminders still to go. Nothing of another person, or of another
 * organization, is found, shown or touched.
 */
describe('data subject rights of someone invited who never checked in (real server, Redis, Twilio and SMTP stand-ins)', function () {
  this.timeout(30_000);
  const HOUR = 3_600_000;
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
  let smtp: SmtpStandIn;
  let server: TestServer;
  let org: TestOrganization;
  let admin: Awaited<ReturnType<typeof memberApi>>;
  let pro: Awaited<ReturnType<typeof memberApi>>;

  before(async () => {
    twilio = await startTwilioStandIn(SID, TOKEN);
    smtp = await SmtpStandIn.create();
    server = await startTestServer({
      env: { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_FROM: '+4759440001', TWILIO_API_BASE_URL: twilio.url, SMTP_URL: smtp.url, SMTP_FROM: 'Clinic <no-reply@clinic.example>' },
    });
    org = await createOrganization(server.services, { retentionDays: 30 });
    admin = await memberApi(server, org.org.id, (await addMember(server.services, org.org.id, { role: 'admin' })).id);
    pro = await memberApi(server, org.org.id, org.professional.id);
  });
  after(async () => {
    await server?.close();
    await twilio?.close();
    await smtp?.stop();
  });

  const invite = async (body: { phone?: string; email?: string; scheduledAt?: number; language?: string }, by = pro, roomId = org.room.id) => {
    const res = await by.call('POST', '/api/consultations', { roomId, language: 'nb', ...body });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as ConsultationCreated;
  };
  const find = async (q: string) => (await admin.call('POST', '/api/admin/visitors/search', { q })).body as VisitorSearchResult;
  const mailsTo = (address: string) => smtp.received.filter((m) => JSON.stringify(m.to).toLowerCase().includes(address.toLowerCase()));
  const waitForMails = async (address: string, n: number) => {
    await eventually(() => mailsTo(address).length >= n, { what: `${n} e-mails to ${address}` });
    expect(mailsTo(address), address).to.have.length(n);
    // (The record says sent a moment after the server took it.)
    await sleep(100);
  };

  it('finds them by their number however it is written, or their address; never another person’s, nor another organization’s', async () => {
    const kari = await invite({ phone: '+47 913 00 111', email: 'Kari.Invitert@Example.no', scheduledAt: Date.now() + 26 * HOUR });
    const ola = await invite({ phone: '+47 913 00 222', scheduledAt: Date.now() + 72 * HOUR });
    // Another organization invited the same number: not this organization's to see.
    const other = await createOrganization(server.services);
    await invite({ phone: '+47 913 00 111' }, await memberApi(server, other.org.id, other.professional.id), other.room.id);

    const byNumber = await find('+47 913 00 111');
    expect(byNumber.visitors, 'they never checked in').to.deep.equal([]);
    expect(byNumber.invitees).to.have.length(1);
    expect(byNumber.invitees[0]).to.deep.include({ channel: 'sms', contact: '+4791300111' });
    expect(byNumber.invitees[0]!.consultations).to.deep.equal([{ consultationId: kari.consultationId, scheduledAt: kari.scheduledAt, roomName: org.room.name, state: 'scheduled' }]);
    for (const written of ['91300111', '913 00 111', '0047 913 00 111', '+47 (913) 00-111']) {
      expect((await find(written)).invitees.map((i) => i.inviteeId), written).to.deep.equal([byNumber.invitees[0]!.inviteeId]);
    }
    const byAddress = await find('kari.invitert@example.no');
    expect(byAddress.invitees.map((i) => [i.channel, i.contact, i.consultations.map((c) => c.consultationId)])).to.deep.equal([['email', 'kari.invitert@example.no', [kari.consultationId]]]);
    expect((await find('+47 913 00 222')).invitees[0]!.consultations.map((c) => c.consultationId)).to.deep.equal([ola.consultationId]);
    expect((await find('+47 913 00 333')).invitees, 'a number nobody was invited by').to.deep.equal([]);
    expect((await find('nobody@example.no')).invitees).to.deep.equal([]);

    // The index names no one: a keyed hash of the number and address, the contacts themselves sealed.
    const kept = JSON.stringify([...(await dumpRedis(server.redis.client))]);
    for (const plain of ['91300111', '913 00 111', 'kari.invitert']) expect(kept.toLowerCase(), plain).not.to.include(plain);
    expect(kept).to.include(keys.invitee(org.org.id, byNumber.invitees[0]!.inviteeId));
    // Each one shown is a view in the audit log, by the id only.
    const { entries } = await server.services.audit.list(org.org.id, { action: 'view_visitor' });
    expect(entries.map((e) => e.targetId)).to.include.members([byNumber.invitees[0]!.inviteeId, byAddress.invitees[0]!.inviteeId]);
  });

  it('exports the consultations they were invited to and what went to that number or address (way, time, status), nothing of another contact or person', async () => {
    const at = Date.now() + 26 * HOUR;
    const astrid = await invite({ phone: '+47 914 00 111', email: 'astrid.eksport@example.no', scheduledAt: at, language: 'sv' });
    await invite({ phone: '+47 914 00 222', email: 'someone.else@example.no', scheduledAt: at });
    await waitForMails('astrid.eksport@example.no', 1);
    // The day-before reminder goes (SMS and e-mail); the hour-before one is still to go.
    expect(await server.reminders.runOnce(at - 24 * HOUR + 60_000)).to.be.at.least(1);
    await waitForMails('astrid.eksport@example.no', 2);

    const [phoneMatch] = (await find('+47 914 00 111')).invitees;
    const res = await admin.call('GET', `/api/admin/invitees/${phoneMatch!.inviteeId}/export`);
    expect(res.status).to.equal(200);
    const bySms = res.body as InviteeExport;
    expect(bySms.invitee).to.deep.equal({ inviteeId: phoneMatch!.inviteeId, channel: 'sms', contact: '+4791400111' });
    expect(bySms.consultations).to.have.length(1);
    const c = bySms.consultations[0]!;
    expect(c).to.deep.include({ consultationId: astrid.consultationId, room: org.room.name, scheduledAt: at, state: 'scheduled', language: 'sv', smsRecords: 2 });
    expect(c.messages.map((m) => [m.channel, m.kind, m.status, m.minutesBefore])).to.deep.equal([
      ['sms', 'invitation', 'sent', undefined],
      ['sms', 'reminder', 'sent', 1440],
      ['sms', 'reminder', 'pending', 60],
    ]);
    const smsText = JSON.stringify(bySms);
    for (const foreign of ['astrid.eksport', '91400222', 'someone.else', '#']) expect(smsText, foreign).not.to.include(foreign);

    const [addressMatch] = (await find('astrid.eksport@example.no')).invitees;
    const byEmail = (await admin.call('GET', `/api/admin/invitees/${addressMatch!.inviteeId}/export`)).body as InviteeExport;
    expect(byEmail.invitee.contact).to.equal('astrid.eksport@example.no');
    expect(byEmail.consultations[0]!.messages.map((m) => [m.channel, m.kind, m.status])).to.deep.equal([
      ['email', 'invitation', 'sent'],
      ['email', 'reminder', 'sent'],
      ['email', 'reminder', 'pending'],
    ]);
    expect(JSON.stringify(byEmail)).not.to.include('91400111');
    expect((await server.services.audit.list(org.org.id, { action: 'export' })).entries.map((e) => e.targetId)).to.include(addressMatch!.inviteeId);

    // Unknown, malformed and another organization's: the same 404.
    const other = await createOrganization(server.services);
    await invite({ phone: '+47 914 00 999' }, await memberApi(server, other.org.id, other.professional.id), other.room.id);
    const foreignId = server.services.consultations.inviteeId(other.org.id, { kind: 'phone', value: '+4791400999' });
    for (const id of ['f'.repeat(32), 'not-an-id', foreignId]) {
      expect((await admin.call('GET', `/api/admin/invitees/${id}/export`)).status, id).to.equal(404);
      expect((await admin.call('DELETE', `/api/admin/invitees/${id}`)).status, id).to.equal(404);
    }
    const member = pro;
    expect((await member.call('GET', `/api/admin/invitees/${phoneMatch!.inviteeId}/export`)).status, 'not an admin').to.equal(403);
  });

  it('erases them at once: number, address, link, texts at Twilio, e-mails and reminders to come; recorded for a restore; nothing more goes to them', async () => {
    const at = Date.now() + 26 * HOUR;
    const nils = await invite({ phone: '+47 915 00 111', email: 'nils.slett@example.no', scheduledAt: at });
    const kept = await invite({ phone: '+47 915 00 222', email: 'kept.person@example.no', scheduledAt: at });
    await waitForMails('nils.slett@example.no', 1);
    await server.reminders.runOnce(at - 24 * HOUR + 60_000);
    await waitForMails('nils.slett@example.no', 2);
    const sids = await server.redis.client.smembers(keys.consultationSms(org.org.id, nils.consultationId));
    expect(sids, 'the invitation and the reminder').to.have.length(2);

    const [match] = (await find('+47 915 00 111')).invitees;
    expect((await admin.call('DELETE', `/api/admin/invitees/${match!.inviteeId}`)).status).to.equal(204);
    expect(twilio.deleted, 'Twilio’s copies of the texts are deleted').to.include.members(sids);

    // A scan of every key: neither the number, nor the address, nor the link's secret, nor the invitee's id (but in the audit log).
    const secret = nils.visitorLink.split('#')[1]!;
    const outsideAudit = JSON.stringify([...(await dumpRedis(server.redis.client))].filter(([key]) => !/:audit(-|$)/.test(key)));
    for (const trace of ['91500111', '915 00 111', 'nils.slett', secret, match!.inviteeId]) expect(outsideAudit, trace).not.to.include(trace);
    expect(await server.services.email.deliveriesOf(org.org.id, nils.consultationId), 'the e-mails and their records').to.deep.equal([]);
    expect(await server.redis.client.zrange(keys.reminders(org.org.id), '0', '-1')).not.to.include(`${nils.consultationId}:60`);
    expect((await find('+47 915 00 111')).invitees).to.deep.equal([]);
    expect((await find('nils.slett@example.no')).invitees, 'the address goes with the number: one invitation').to.deep.equal([]);
    expect((await admin.call('GET', `/api/admin/invitees/${match!.inviteeId}/export`)).status).to.equal(404);
    expect((await admin.call('DELETE', `/api/admin/invitees/${match!.inviteeId}`)).status, 'erased is gone').to.equal(404);
    // The consultation stays for the professional, reaching no one.
    const record = await server.redis.client.hgetall(keys.consultation(org.org.id, nils.consultationId));
    expect(record.state).to.equal('scheduled');
    expect(record).not.to.have.any.keys('prefillPhone', 'visitorEmail', 'linkSecret', 'smsIds', 'inviteeIds');
    expect(await server.redis.client.exists(keys.consultationSms(org.org.id, nils.consultationId)), "Twilio's ids").to.equal(0);
    // The ledger knows, so a restore of an older backup erases them again.
    const ledger = await ErasureLedger.read(server.redis.client);
    expect(ledger.has(new ErasureLedger(server.services.config.ADDRESS_HASH_KEY, server.services.config.BACKUP_KEEP_DAYS).inviteeEntry(org.org.id, match!.inviteeId))).to.equal(true);
    expect((await server.services.audit.list(org.org.id, { action: 'erasure' })).entries.map((e) => e.targetId)).to.include(match!.inviteeId);

    // The hour-before reminder comes for the other person, not for them.
    const textsBefore = twilio.sent.length;
    const mailsBefore = smtp.received.length;
    await server.reminders.runOnce(at - HOUR + 60_000);
    await waitForMails('kept.person@example.no', 3);
    const texted = twilio.sent.slice(textsBefore).map((m) => m.to);
    expect(texted).to.include('+4791500222').and.not.include('+4791500111');
    expect(smtp.received.slice(mailsBefore).map((m) => JSON.stringify(m.to)).join()).not.to.include('nils.slett');
    expect((await find('+47 915 00 222')).invitees[0]!.consultations.map((c) => c.consultationId)).to.deep.equal([kept.consultationId]);
  });
});
