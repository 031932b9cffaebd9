import { expect } from 'chai';
import { consultationRequest, type ConsultationCreated, type RoomInfo, type UpcomingConsultation, type VisitResponse } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import {
  addMember,
  ask,
  createOrganization,
  linkTokenOf,
  lookUpConsultationLink,
  memberApi,
  postJson,
  professionalSocket,
  recordEvents,
  sessionCookieFor,
  startTestServer,
  visitorSocket,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { startTwilioStandIn } from '../test-support/twilio-stand-in.ts';
import { sessionCookieName } from '../http/request-guards.ts';

const SID = `AC${'7'.repeat(32)}`;
const TOKEN = 'twilio-test-auth-token-0007';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/*
 * Invitations from the dashboard (real server, Redis, the real Twilio SDK against the local stand-in): a
 * professional schedules a consultation with the visitor's phone and/or e-mail and a language; the link
 * goes by SMS in that language; what is refused is refused before anything is made, with the words the
 * form uses too; the professional's list says how the invitation went and who cancelled; the visitor
 * cancels from their link (once; the second time it says it is cancelled already). This server has no
 * SMTP: e-mail is refused clearly (the e-mail's own tests cover its delivery).
 */
describe('invitations from the dashboard, and the visitor’s cancel link (real server, Redis, Twilio stand-in)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
  let org: TestOrganization;
  let pro: Awaited<ReturnType<typeof memberApi>>;

  before(async () => {
    twilio = await startTwilioStandIn(SID, TOKEN);
    server = await startTestServer({ env: { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_FROM: '+4759440000', TWILIO_API_BASE_URL: twilio.url } });
    org = await createOrganization(server.services, { retentionDays: 30 });
    pro = await memberApi(server, org.org.id, org.professional.id);
  });
  after(async () => {
    await server?.close();
    await twilio?.close();
  });

  const consultationCount = () => server.redis.client.zcard(keys.consultations(org.org.id));
  const upcoming = async (api = pro) => ((await api.call('GET', '/api/consultations/upcoming')).body as { consultations: UpcomingConsultation[] }).consultations;
  /** What the dashboard's form says before sending: the code of the first problem the shared schema finds. */
  const formSays = (body: unknown) => {
    const parsed = consultationRequest.safeParse(body);
    return parsed.success ? null : `${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`;
  };

  it('sends the link by SMS in the chosen language, at the organization’s clock; the number is sealed at rest; the list says the SMS went', async () => {
    const at = Date.now() + 26 * HOUR;
    const res = await pro.call('POST', '/api/consultations', { roomId: org.room.id, scheduledAt: at, phone: '+47 912 34 567', language: 'sv' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const created = res.body as ConsultationCreated;
    expect(created.invitation).to.deep.equal({ sms: 'sent' });
    const sms = twilio.sent.at(-1)!;
    expect(sms.to).to.equal('+4791234567');
    const when = new Intl.DateTimeFormat('sv-SE', { dateStyle: 'full', timeStyle: 'short', timeZone: 'Europe/Oslo' }).format(at);
    expect(sms.body).to.equal(`Consult: din videokonsultation ${when}. ${created.visitorLink}`);
    const stored = await server.redis.client.hgetall(keys.consultation(org.org.id, created.consultationId));
    expect(JSON.stringify(stored)).to.not.include('91234567');
    expect(stored).to.include({ invitationChannels: 'sms', invitationLanguage: 'sv', smsInvitation: 'sent' });
    // The visitor's check-in form is prefilled with the number the clinic has for them.
    const info = (await (await lookUpConsultationLink(server, linkTokenOf(created.visitorLink))).json()) as RoomInfo;
    expect(info.prefill).to.deep.equal({ phone: '+4791234567' });
    const row = (await upcoming()).find((c) => c.consultationId === created.consultationId);
    expect(row).to.deep.equal({
      consultationId: created.consultationId,
      roomId: org.room.id,
      roomName: org.room.name,
      scheduledAt: at,
      state: 'scheduled',
      invitation: { language: 'sv', sms: 'sent' },
      cancelled: null,
    });
  });

  it('a bad phone or e-mail address is refused with the words the form uses, and nothing is made or sent', async () => {
    const before = [await consultationCount(), twilio.sent.length];
    for (const [bad, says] of [
      [{ phone: '91234567' }, 'phone: phone_invalid'],
      [{ phone: 'call me' }, 'phone: phone_invalid'],
      [{ email: 'kari@' }, 'email: email_invalid'],
      [{ email: 'not an address' }, 'email: email_invalid'],
      [{ language: 'de' }, null],
    ] as const) {
      const body = { roomId: org.room.id, scheduledAt: Date.now() + DAY, ...bad };
      const res = await pro.call('POST', '/api/consultations', body);
      expect(res.status, JSON.stringify(bad)).to.equal(400);
      expect(res.body.error.code).to.equal('bad_request');
      if (says) {
        expect(res.body.error.message, JSON.stringify(bad)).to.equal(says);
        const [field, code] = says.split(': ');
        expect(res.body.error.details.fields[0], 'the field and its code apart, for the form').to.deep.equal({ field, code });
        expect(formSays(body), 'the form, before sending').to.equal(says);
      }
    }
    expect([await consultationCount(), twilio.sent.length]).to.deep.equal(before);
  });

  it('an e-mail invitation on a server without e-mail is refused (email_unavailable), and nothing is made or sent, not even the SMS', async () => {
    const before = [await consultationCount(), twilio.sent.length];
    const res = await pro.call('POST', '/api/consultations', { roomId: org.room.id, phone: '+4791234567', email: 'kari@example.no', language: 'nb' });
    expect(res.status).to.equal(503);
    expect(res.body.error.code).to.equal('email_unavailable');
    expect([await consultationCount(), twilio.sent.length]).to.deep.equal(before);
  });

  it('a number outside the countries this service texts is refused, and nothing is made', async () => {
    const before = [await consultationCount(), twilio.sent.length];
    const res = await pro.call('POST', '/api/consultations', { roomId: org.room.id, phone: '+88212345678' });
    expect([res.status, res.body.error.code]).to.deep.equal([400, 'phone_not_allowed']);
    expect([await consultationCount(), twilio.sent.length]).to.deep.equal(before);
  });

  it('a time in the past (beyond a clock’s slack) or more than a year ahead is refused, from the dashboard and from the API alike', async () => {
    const before = await consultationCount();
    const cases = [
      [Date.now() - 10 * 60_000, 'scheduledAt: time_past'],
      [Date.now() - DAY, 'scheduledAt: time_past'],
      [Date.now() + 367 * DAY, 'scheduledAt: time_too_far'],
    ] as const;
    const admin = await memberApi(server, org.org.id, (await addMember(server.services, org.org.id, { role: 'admin' })).id);
    const key = ((await admin.call('POST', '/api/admin/api-keys', { name: 'EHR' })).body as { key: string }).key;
    for (const [at, says] of cases) {
      const res = await pro.call('POST', '/api/consultations', { roomId: org.room.id, scheduledAt: at, phone: '+4791234567' });
      expect([res.status, res.body.error.message]).to.deep.equal([400, says]);
      const [field, code] = says.split(': ');
      expect(res.body.error.details.fields, 'the field and its code apart, for the form').to.deep.equal([{ field, code }]);
      const api = await fetch(`${server.url}/api/v1/consultations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ roomId: org.room.id, externalReference: 'PAST', scheduledAt: new Date(at).toISOString() }),
      });
      expect([api.status, ((await api.json()) as { error: { message: string } }).error.message]).to.deep.equal([400, says]);
    }
    expect(await consultationCount()).to.equal(before);
    // A minute back is a clock that is a little off, not the past.
    expect((await pro.call('POST', '/api/consultations', { roomId: org.room.id, scheduledAt: Date.now() - 60_000 })).status).to.equal(201);
  });

  it('an SMS provider that is down: the consultation is still made, the professional has the link and sees the SMS failed', async () => {
    twilio.down = true;
    try {
      const res = await pro.call('POST', '/api/consultations', { roomId: org.room.id, scheduledAt: Date.now() + 2 * HOUR, phone: '+4791234567', language: 'nb' });
      expect(res.status).to.equal(201);
      const created = res.body as ConsultationCreated;
      expect(created.invitation).to.deep.equal({ sms: 'failed' });
      expect(created.visitorLink).to.match(/\/c\//);
      expect((await upcoming()).find((c) => c.consultationId === created.consultationId)?.invitation).to.deep.equal({ language: 'nb', sms: 'failed' });
    } finally {
      twilio.down = false;
    }
  });

  it('the visitor cancels from the link: the dashboards hear it at once, the list says by whom; the second time the link says it is cancelled already', async () => {
    const created = (await pro.call('POST', '/api/consultations', { roomId: org.room.id, scheduledAt: Date.now() + 3 * HOUR, phone: '+4791234567', language: 'en' })).body as ConsultationCreated;
    const token = linkTokenOf(created.visitorLink);
    const dashboard = await professionalSocket(server, `${sessionCookieName(false)}=${await sessionCookieFor(server, org.org.id, org.professional.id)}`);
    const heard = recordEvents(dashboard);
    try {
      const first = await postJson(server, '/api/consultations/link/cancel', { token });
      expect([first.status, await first.json()]).to.deep.equal([200, { alreadyCancelled: false, cancelledBy: 'visitor' }]);
      const changed = await heard.waitFor('consultations:changed');
      expect(changed).to.deep.equal({ consultationId: created.consultationId, cancelledBy: 'visitor' });
    } finally {
      dashboard.disconnect();
    }
    const row = (await upcoming()).find((c) => c.consultationId === created.consultationId)!;
    expect(row.state).to.equal('cancelled');
    expect(row.cancelled).to.deep.include({ by: 'visitor' });
    const again = await postJson(server, '/api/consultations/link/cancel', { token });
    expect([again.status, await again.json()]).to.deep.equal([200, { alreadyCancelled: true, cancelledBy: 'visitor' }]);
    const info = (await (await lookUpConsultationLink(server, token)).json()) as RoomInfo;
    expect([info.linkState, info.cancelledBy]).to.deep.equal(['cancelled', 'visitor']);
    // A wrong or malformed token is like any unknown link.
    expect((await postJson(server, '/api/consultations/link/cancel', { token: `${token.slice(0, -4)}AAAA` })).status).to.equal(404);
    expect((await postJson(server, '/api/consultations/link/cancel', { token: 'nonsense' })).status).to.equal(404);
  });

  it('the visitor cannot cancel while in the call; a professional cancels one of their rooms’ consultations, and the list names them', async () => {
    const inCall = (await pro.call('POST', '/api/consultations', { roomId: org.room.id })).body as ConsultationCreated;
    const token = linkTokenOf(inCall.visitorLink);
    const visit = (await (await postJson(server, '/api/visits', { consultation: token, answers: { name: 'Kari Nordmann' } })).json()) as VisitResponse;
    const visitor = await visitorSocket(server, visit.visitorToken);
    const dashboard = await professionalSocket(server, `${sessionCookieName(false)}=${await sessionCookieFor(server, org.org.id, org.professional.id)}`);
    try {
      const admitted = await ask(dashboard, 'queue:admit', { visitorId: visit.visitorId });
      expect(admitted.ok).to.equal(true);
      const refused = await postJson(server, '/api/consultations/link/cancel', { token });
      expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).to.deep.equal([409, 'consultation_in_call']);
    } finally {
      visitor.disconnect();
      dashboard.disconnect();
    }

    const later = (await pro.call('POST', '/api/consultations', { roomId: org.room.id, scheduledAt: Date.now() + 5 * HOUR })).body as ConsultationCreated;
    const colleague = await memberApi(server, org.org.id, (await addMember(server.services, org.org.id)).id);
    expect((await colleague.call('POST', `/api/consultations/${later.consultationId}/cancel`)).status, 'not their room').to.equal(404);
    expect((await upcoming(colleague)).map((c) => c.consultationId), 'not in their list').to.not.include(later.consultationId);
    expect((await pro.call('POST', `/api/consultations/${later.consultationId}/cancel`)).status).to.equal(204);
    const row = (await upcoming()).find((c) => c.consultationId === later.consultationId)!;
    expect(row.cancelled).to.deep.include({ by: 'member', memberName: org.professional.name });
    expect((await lookUpConsultationLink(server, linkTokenOf(later.visitorLink)).then((r) => r.json()) as RoomInfo).cancelledBy).to.equal('clinic');
  });

  it('the invitation’s contact goes with the consultation’s retention, and an erasure of its visitor removes it', async () => {
    const s = server.services;
    const { consultation, token } = await s.consultations.create(
      { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null, prefill: { phone: '+4798765432' }, invitation: { channels: ['sms', 'email'], language: 'da', email: 'kari.nordmann@example.no' } },
      30 * DAY,
    );
    const key = keys.consultation(org.org.id, consultation.id);
    expect(await s.consultations.invitationContact(org.org.id, consultation.id)).to.deep.equal({ channels: ['sms', 'email'], language: 'da', phone: '+4798765432', email: 'kari.nordmann@example.no' });
    const dump = JSON.stringify([...(await dumpRedis(server.redis.client)).values()]);
    expect(dump).to.not.include('kari.nordmann');
    expect(dump).to.not.include('98765432');
    expect(await server.redis.client.pttl(key)).to.be.within(30 * DAY - 60_000, 30 * DAY);

    const visit = (await (await postJson(server, '/api/visits', { consultation: token, answers: { name: 'Kari Nordmann' } })).json()) as VisitResponse;
    const admin = await memberApi(server, org.org.id, (await addMember(server.services, org.org.id, { role: 'admin' })).id);
    expect((await admin.call('DELETE', `/api/admin/visitors/${visit.visitorId}`)).status).to.be.oneOf([200, 204]);
    expect(await s.consultations.invitationContact(org.org.id, consultation.id)).to.deep.equal({ channels: ['sms', 'email'], language: 'da' });
    const fields = await server.redis.client.hkeys(key);
    expect(fields).to.not.include.members(['prefillPhone', 'visitorEmail']);
  });
});
