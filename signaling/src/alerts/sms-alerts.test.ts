import { expect } from 'chai';
import {
  addMember,
  createOrganization,
  joinWaitingRoom,
  login,
  postJson,
  sleep,
  startTestServer,
  type TestMember,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { startTwilioStandIn, type SentSms } from '../test-support/twilio-stand-in.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { SmsAlerts } from './sms-alerts.ts';
import { keys } from '../redis/keys.ts';
import { eventually } from '../test-support/eventually.ts';

const SID = `AC${'1'.repeat(32)}`;
const TOKEN = 'twilio-test-auth-token-0000';
const FROM = '+4759440000';

/*
 * SMS alerts through the real `twilio` SDK against a local stand-in of Twilio's API: a professional proves
 * their number with a code, then gets at most one SMS per interval when someone arrives in their rooms,
 * naming no one, with a short-lived signed link. Without Twilio credentials SMS is off, and says so.
 */
describe('SMS alerts through Twilio (real SDK, local stand-in, real server and Redis)', function () {
  this.timeout(20_000);
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
  let server: TestServer;
  let org: TestOrganization;
  let colleague: TestMember;
  let auth: { cookie: string; csrfToken: string };

  const call = async (method: string, path: string, body?: unknown, a = auth) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { origin: server.origin, cookie: a.cookie, 'x-csrf-token': a.csrfToken, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const to = (phone: string) => twilio.sent.filter((m: SentSms) => m.to === phone);
  /**
   * The interval passing for a professional, as Redis would end it: their throttle (if any) is checked to
   * last the interval at most, then expired, rather than waiting the seconds out.
   */
  const intervalPasses = async (proId: string) => {
    const throttle = keys.smsThrottle(org.org.id, proId);
    const left = await server.redis.client.pttl(throttle);
    if (left !== -2) expect(left, 'the throttle lasts the interval').to.be.within(1, 2000);
    await server.redis.client.pexpire(throttle, 1);
    await eventually(async () => (await server.redis.client.exists(throttle)) === 0, { what: 'the interval passed' });
  };

  before(async () => {
    twilio = await startTwilioStandIn(SID, TOKEN);
    server = await startTestServer({
      env: { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_FROM: FROM, TWILIO_API_BASE_URL: twilio.url, SMS_ALERT_INTERVAL_SECONDS: '2' },
    });
    org = await createOrganization(server.services);
    colleague = await addMember(server.services, org.org.id, { name: 'Dr. Berg' });
    auth = await login(server, org.professional.email, org.professional.password);
  });
  after(async () => {
    await server?.close();
    await twilio?.close();
  });

  it('a professional proves their number with a code sent to it; a wrong code or a bad number is refused', async () => {
    expect((await call('GET', '/api/settings/sms')).body).to.deep.equal({ available: true, phone: null, verified: false, intervalMinutes: 0 });
    expect((await call('POST', '/api/settings/sms/phone', { phone: '91234567' })).status, 'not international').to.equal(400);
    expect((await call('POST', '/api/settings/sms/phone', { phone: '+4791234567' })).status).to.equal(204);
    const [codeSms] = to('+4791234567');
    expect(codeSms!.from).to.equal(FROM);
    const code = /\b(\d{6})\b/.exec(codeSms!.body)![1]!;
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await call('POST', '/api/settings/sms/verify', { code: wrong })).body.error.code).to.equal('invalid_code');
    expect((await call('GET', '/api/settings/sms')).body.verified).to.equal(false);
    const verified = await call('POST', '/api/settings/sms/verify', { code });
    expect(verified.body).to.deep.include({ phone: '+4791234567', verified: true });
    const atRest = JSON.stringify([...(await dumpRedis(server.redis.client))]);
    expect(atRest, 'the number is encrypted at rest').not.to.include('4791234567');
    expect((await call('POST', '/api/settings/sms/verify', { code })).status, 'the code is used up').to.equal(401);
  });

  it('arrivals send at most one SMS per interval to the opted-in professional, naming no one; the link opens that visitor after login', async () => {
    const before = to('+4791234567').length;
    const visits = [];
    for (const name of ['Ola Nordmann', 'Kari Nordmann', 'Per Hansen']) visits.push(await joinWaitingRoom(server, org.room.slug, name));
    await sleep(300);
    const alerts = to('+4791234567').slice(before);
    expect(alerts, 'one SMS for three arrivals').to.have.length(1);
    const text = alerts[0]!.body;
    for (const secret of ['Ola', 'Kari', 'Per', org.room.name, org.room.slug]) expect(text).to.not.include(secret);
    const link = /(https?:\/\/\S+)/.exec(text)![1]!;
    expect(link.startsWith(`${server.origin}/dashboard/#open=`)).to.equal(true);
    const token = link.split('#open=')[1]!;
    expect((await call('POST', '/api/alert-links/open', { token })).body).to.deep.equal({ visitorId: visits[0]!.visitorId, waiting: true });
    // The link opens nothing for someone who may not see that room, nor when tampered with.
    const bergAuth = await login(server, colleague.email, colleague.password);
    expect((await call('POST', '/api/alert-links/open', { token }, bergAuth)).status).to.equal(404);
    expect((await call('POST', '/api/alert-links/open', { token: `${token.slice(0, -3)}AAA` })).status).to.equal(404);
    expect((await postJson(server, '/api/alert-links/open', { token })).status, 'not logged in').to.equal(401);

    await intervalPasses(org.professional.id);
    await joinWaitingRoom(server, org.room.slug, 'Nils Dahl');
    await eventually(() => to('+4791234567').length - before >= 2, { what: 'an SMS after the interval' });
    expect(to('+4791234567').slice(before), 'another after the interval').to.have.length(2);
    expect(twilio.sent.filter((m) => m.to !== '+4791234567' && !/\d{6} is your code/.test(m.body)), 'no one else').to.deep.equal([]);
  });

  it('the code and the alerts are in the dashboard’s language the professional turned SMS on in', async () => {
    const swede = await addMember(server.services, org.org.id, { name: 'Dr. Svensson' });
    const svAuth = await login(server, swede.email, swede.password);
    expect((await call('POST', '/api/settings/sms/phone', { phone: '+46701234567', language: 'sv' }, svAuth)).status).to.equal(204);
    const [codeSms] = to('+46701234567');
    expect(codeSms!.body).to.match(/^Consult: \d{6} är din kod för att slå på sms-aviseringar\. Den går ut om 10 minuter\.$/);
    const code = /\b(\d{6})\b/.exec(codeSms!.body)![1]!;
    expect((await call('POST', '/api/settings/sms/verify', { code }, svAuth)).body).to.deep.include({ verified: true });
    await joinWaitingRoom(server, swede.room.slug, 'Sven Visitor');
    await eventually(() => to('+46701234567').length >= 2, { what: 'the arrival SMS in Swedish' });
    const alert = to('+46701234567').at(-1)!.body;
    expect(alert).to.match(new RegExp(`^Consult: någon väntar på dig\\. ${server.origin}/dashboard/#open=`));
    expect(alert).not.to.include('Sven');
    expect((await call('POST', '/api/settings/sms/phone', { phone: '+46701234567', language: 'de' }, svAuth)).status, 'a language the service does not speak').to.equal(400);
    expect((await call('DELETE', '/api/settings/sms', undefined, svAuth)).status).to.equal(204);
  });

  it('a link expires; turning SMS off stops them', async () => {
    const sms = new SmsAlerts(server.services, null);
    const visitorId = 'a'.repeat(32);
    expect(sms.openLink(sms.signLink(visitorId))).to.equal(visitorId);
    expect(sms.openLink(sms.signLink(visitorId, Date.now() - 31 * 60_000)), 'after 30 minutes').to.equal(null);
    expect((await call('DELETE', '/api/settings/sms')).status).to.equal(204);
    await intervalPasses(org.professional.id);
    const before = to('+4791234567').length;
    await joinWaitingRoom(server, org.room.slug, 'Eva Berg');
    await sleep(300);
    expect(to('+4791234567').length).to.equal(before);
  });

  it('without Twilio credentials SMS is off, and the settings say so', async () => {
    const bare = await startTestServer();
    try {
      const o = await createOrganization(bare.services);
      const a = await login(bare, o.professional.email, o.professional.password);
      const res = await fetch(`${bare.url}/api/settings/sms`, { headers: { cookie: a.cookie } });
      expect((await res.json()).available).to.equal(false);
      const tried = await postJson(bare, '/api/settings/sms/phone', { phone: '+4791234567' }, { cookie: a.cookie, 'x-csrf-token': a.csrfToken });
      expect(tried.status).to.equal(503);
      expect(((await tried.json()) as { error: { code: string } }).error.code).to.equal('sms_unavailable');
    } finally {
      await bare.close();
    }
  });
});
