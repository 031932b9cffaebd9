import { expect } from 'chai';
import type { ApiConsultationCreated } from '../../protocol/index.ts';
import { addMember, createOrganization, memberApi, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { startTwilioStandIn } from '../test-support/twilio-stand-in.ts';

const SID = `AC${'3'.repeat(32)}`;
const TOKEN = 'twilio-test-auth-token-0000';
const DAY = 86_400_000;

/** The last Sunday of a month (0-based), at midnight UTC. */
const lastSunday = (year: number, month: number): Date => {
  const d = new Date(Date.UTC(year, month + 1, 0));
  d.setUTCDate(d.getUTCDate() - d.getUTCDay());
  return d;
};
/** The next such Sunday that an appointment can still be booked for (Europe changes its clocks then, at 01:00 UTC). */
const nextLastSunday = (month: number): Date => {
  for (let year = new Date().getUTCFullYear(); ; year++) {
    const d = lastSunday(year, month);
    if (d.getTime() > Date.now() + 2 * DAY) return d;
  }
};
const at = (day: Date, utc: string) => new Date(`${day.toISOString().slice(0, 10)}T${utc}:00Z`);

/*
 * SMS invitations say when the appointment is at the organization's clock, not the server's UTC: on both
 * sides of the spring and autumn clock changes, in English, Norwegian or both, through the real Twilio SDK
 * against the local stand-in.
 */
describe('the time in an SMS invitation (real server, Twilio stand-in)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;

  before(async () => {
    twilio = await startTwilioStandIn(SID, TOKEN);
    server = await startTestServer({ env: { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_FROM: '+4759440000', TWILIO_API_BASE_URL: twilio.url } });
  });
  after(async () => {
    await server?.close();
    await twilio?.close();
  });

  /** An organization with an API key; sends one invitation for a consultation at `when` and answers its text. */
  async function organization(timeZone?: string) {
    const { org, room } = await createOrganization(server.services);
    const admin = await memberApi(server, org.id, (await addMember(server.services, org.id, { role: 'admin' })).id);
    if (timeZone) expect((await admin.call('PATCH', '/api/admin/organization', { timeZone })).status).to.equal(200);
    const key = ((await admin.call('POST', '/api/admin/api-keys', { name: 'EHR' })).body as { key: string }).key;
    const v1 = async (path: string, body: unknown) => {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    return async (when: Date, language?: 'en' | 'nb' | 'nn' | 'sv' | 'da'): Promise<string> => {
      const created = await v1('/api/v1/consultations', { roomId: room.id, externalReference: 'DST', scheduledAt: when.toISOString(), visitor: { phone: '+4791234567' } });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      const sent = await v1(`/api/v1/consultations/${(created.body as ApiConsultationCreated).id}/sms-invitation`, language ? { language } : {});
      expect(sent.status, JSON.stringify(sent.body)).to.equal(202);
      return twilio.sent.at(-1)!.body;
    };
  }

  it('gives Oslo’s hour on both sides of the spring and autumn clock changes, in both languages, never UTC', async () => {
    const invite = await organization();
    const spring = nextLastSunday(2);
    const autumn = nextLastSunday(9);
    const cases = [
      // Before the spring change Oslo is UTC+1, after it UTC+2; before the autumn change UTC+2, after it UTC+1.
      { when: at(spring, '00:30'), day: spring, month: ['March', 'mars'], clock: '01:30' },
      { when: at(spring, '01:30'), day: spring, month: ['March', 'mars'], clock: '03:30' },
      { when: at(autumn, '00:30'), day: autumn, month: ['October', 'oktober'], clock: '02:30' },
      { when: at(autumn, '01:30'), day: autumn, month: ['October', 'oktober'], clock: '02:30' },
      { when: at(autumn, '12:00'), day: autumn, month: ['October', 'oktober'], clock: '13:00' },
    ];
    for (const c of cases) {
      const [date, year] = [c.day.getUTCDate(), c.day.getUTCFullYear()];
      const text = await invite(c.when);
      expect(text, c.when.toISOString()).to.include(`your video consultation on Sunday, ${date} ${c.month[0]} ${year} at ${c.clock}.`);
      expect(text, c.when.toISOString()).to.include(`Din videokonsultasjon søndag ${date}. ${c.month[1]} ${year} kl. ${c.clock}.`);
      expect(text).not.to.include('UTC');
    }
  });

  it('follows the organization’s own time zone, date included, and speaks the visitor’s language when the record system gives it', async () => {
    const invite = await organization('America/New_York');
    const spring = nextLastSunday(2);
    // 00:30 UTC on Europe's change day is 20:30 the evening before in New York (already on summer time).
    const saturday = new Date(spring.getTime() - DAY).getUTCDate();
    const english = await invite(at(spring, '00:30'), 'en');
    expect(english).to.match(new RegExp(`^Consult: your video consultation on Saturday, ${saturday} March \\d{4} at 20:30\\. http`));
    expect(english).not.to.include('videokonsultasjon');
    const norsk = await invite(at(spring, '00:30'), 'nb');
    expect(norsk).to.match(new RegExp(`^Consult: din videokonsultasjon lørdag ${saturday}\\. mars \\d{4} kl\\. 20:30\\. http`));
    expect(norsk).not.to.include('your video consultation');
  });

  it('speaks Swedish, Danish and nynorsk when the record system asks, with each language’s own way of writing the time', async () => {
    const invite = await organization('Europe/Stockholm');
    const autumn = nextLastSunday(9);
    const [date, year] = [autumn.getUTCDate(), autumn.getUTCFullYear()];
    // 12:00 UTC after the autumn change is 13:00 in Stockholm.
    const svenska = await invite(at(autumn, '12:00'), 'sv');
    expect(svenska).to.match(new RegExp(`^Consult: din videokonsultation söndag ${date} oktober ${year} kl\\. 13:00\\. http`));
    expect(svenska).not.to.match(/your video consultation|videokonsultasjon/);
    const dansk = await invite(at(autumn, '12:00'), 'da');
    expect(dansk).to.match(new RegExp(`^Consult: din videokonsultation søndag den ${date}\\. oktober ${year} kl\\. 13\\.00\\. http`));
    const nynorsk = await invite(at(autumn, '12:00'), 'nn');
    expect(nynorsk).to.match(new RegExp(`^Consult: videokonsultasjonen din søndag ${date}\\. oktober ${year} kl\\. 13:00\\. http`));
  });

  it('refuses a language the service does not speak', async () => {
    const { org, room } = await createOrganization(server.services);
    const admin = await memberApi(server, org.id, (await addMember(server.services, org.id, { role: 'admin' })).id);
    const key = ((await admin.call('POST', '/api/admin/api-keys', { name: 'EHR' })).body as { key: string }).key;
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const created = (await (await post('/api/v1/consultations', { roomId: room.id, externalReference: 'LANG', visitor: { phone: '+4791234567' } })).json()) as ApiConsultationCreated;
    const before = twilio.sent.length;
    expect((await post(`/api/v1/consultations/${created.id}/sms-invitation`, { language: 'de' })).status).to.equal(400);
    expect(twilio.sent.length).to.equal(before);
  });
});
