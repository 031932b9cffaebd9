import { expect } from 'chai';
import type { ConsultationCreated, OrganizationOverview } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { addMember, createOrganization, linkTokenOf, memberApi, postJson, startTestServer, type TestOrganization, type TestServer } from '../test-support/test-server.ts';
import { startTwilioStandIn } from '../test-support/twilio-stand-in.ts';
import { cancelConsultation } from './schedule.ts';

const SID = `AC${'9'.repeat(32)}`;
const TOKEN = 'twilio-test-auth-token-0009';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/*
 * Reminders before scheduled consultations (real Redis shared by two server processes, the real Twilio SDK
 * against the local stand-in), with the job's clock given by the test: each reminder goes exactly once,
 * whichever process runs the job and across a restart; none after a cancellation, even one racing the
 * job; one whose time passed when the consultation was made is not sent; a provider that is down gets the
 * reminder once it is back, once.
 */
describe('reminders before a consultation (two processes on one Redis, Twilio stand-in, the job’s clock given)', function () {
  this.timeout(90_000);
  let redis: TestRedis;
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
  let a: TestServer;
  let b: TestServer;
  let org: TestOrganization;
  let pro: Awaited<ReturnType<typeof memberApi>>;
  const env = () => ({
    TWILIO_ACCOUNT_SID: SID,
    TWILIO_AUTH_TOKEN: TOKEN,
    TWILIO_FROM: '+4759440000',
    TWILIO_API_BASE_URL: twilio.url,
    API_SMS_PER_KEY_PER_DAY: '1000',
    API_SMS_PER_ORGANIZATION_PER_DAY: '1000',
  });

  before(async () => {
    redis = await startRedis();
    twilio = await startTwilioStandIn(SID, TOKEN);
    a = await startTestServer({ redis, env: env() });
    b = await startTestServer({ redis, env: env() });
    org = await createOrganization(a.services, { retentionDays: 30 });
    pro = await memberApi(a, org.org.id, org.professional.id);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await twilio?.close();
    await redis?.stop();
  });

  /** A consultation `inMs` from now with an SMS invitation, in `language`. */
  async function booked(inMs: number, language = 'en'): Promise<ConsultationCreated & { at: number }> {
    const at = Date.now() + inMs;
    const res = await pro.call('POST', '/api/consultations', { roomId: org.room.id, scheduledAt: at, phone: '+4791234567', language });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return { ...(res.body as ConsultationCreated), at };
  }
  /** The reminders the stand-in received for a consultation (its link is in every one; the invitation is not one). */
  const remindersOf = (c: ConsultationCreated) =>
    twilio.sent.filter((m) => m.body.includes(`.${c.consultationId}#`) && !/^Consult: (your video|din video)/.test(m.body));
  const both = (now: number) => Promise.all([a.reminders.runOnce(now), b.reminders.runOnce(now)]);

  it('each reminder goes exactly once, with two processes running the job at once and after one restarts; at the organization’s clock, in the invitation’s language', async () => {
    const start = Date.now();
    const consultations = await Promise.all([booked(25 * HOUR), booked(25 * HOUR, 'nb'), booked(25 * HOUR + 5 * MINUTE), booked(25 * HOUR, 'da')]);
    await both(start + 30 * MINUTE);
    expect(consultations.map((c) => remindersOf(c).length), 'none before it is due').to.deep.equal([0, 0, 0, 0]);
    // The day-before reminders are due: both processes run the job at the same moment, twice.
    await both(start + HOUR + 6 * MINUTE);
    await both(start + HOUR + 7 * MINUTE);
    expect(consultations.map((c) => remindersOf(c).length)).to.deep.equal([1, 1, 1, 1]);
    const when = (c: { at: number }, locale: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short', timeZone: 'Europe/Oslo' }).format(c.at);
    // (Each process writes links with its own address here; in production they share PUBLIC_ORIGIN.)
    expect(remindersOf(consultations[0]!)[0]!.body).to.match(new RegExp(`^Consult: a reminder of your video consultation on ${when(consultations[0]!, 'en-GB')}\\. http://127\\.0\\.0\\.1:\\d+/c/${org.org.id}\\.${consultations[0]!.consultationId}#`));
    expect(remindersOf(consultations[1]!)[0]!.body).to.match(new RegExp(`^Consult: påminnelse om videokonsultasjonen din ${when(consultations[1]!, 'nb-NO')}\\. http`));
    expect(remindersOf(consultations[3]!)[0]!.body).to.match(/^Consult: påmindelse om din videokonsultation /);

    // One process restarts (on the same Redis): nothing is sent again, and the hour-before reminders still come, once.
    await b.close();
    b = await startTestServer({ redis, env: env() });
    await both(start + 2 * HOUR);
    expect(consultations.map((c) => remindersOf(c).length), 'after the restart').to.deep.equal([1, 1, 1, 1]);
    await both(start + 24 * HOUR + 6 * MINUTE);
    await both(start + 24 * HOUR + 10 * MINUTE);
    expect(consultations.map((c) => remindersOf(c).length)).to.deep.equal([2, 2, 2, 2]);
    await both(start + 25 * HOUR + 30 * MINUTE);
    expect(consultations.map((c) => remindersOf(c).length), 'nothing after the consultation’s time').to.deep.equal([2, 2, 2, 2]);
  });

  it('none after a cancellation (by the visitor or a member), and its entries leave the index', async () => {
    const start = Date.now();
    const byVisitor = await booked(25 * HOUR);
    const byMember = await booked(25 * HOUR);
    expect((await postJson(a, '/api/consultations/link/cancel', { token: linkTokenOf(byVisitor.visitorLink) })).status).to.equal(200);
    expect((await pro.call('POST', `/api/consultations/${byMember.consultationId}/cancel`)).status).to.equal(204);
    const index = await redis.client.zrange(keys.reminders(org.org.id), '0', '-1');
    expect(index.filter((m) => m.startsWith(byVisitor.consultationId) || m.startsWith(byMember.consultationId))).to.deep.equal([]);
    await both(start + HOUR + 6 * MINUTE);
    await both(start + 24 * HOUR + 6 * MINUTE);
    expect([remindersOf(byVisitor).length, remindersOf(byMember).length]).to.deep.equal([0, 0]);
  });

  it('a cancellation racing the job (many times, two processes): never a reminder after the cancellation returned', async () => {
    const start = Date.now();
    let sentBeforeCancel = 0;
    for (let i = 0; i < 25; i++) {
      const c = await booked(25 * HOUR);
      let atCancel = -1;
      const dueAt = start + HOUR + 6 * MINUTE;
      await Promise.all([
        a.reminders.runOnce(dueAt),
        // Started a little later each time, so the cancellation lands before, during and after the sending.
        new Promise((resolve) => setTimeout(resolve, i % 5)).then(() =>
          cancelConsultation(a.services, org.org.id, c.consultationId, { memberId: org.professional.id }).then(() => (atCancel = remindersOf(c).length)),
        ),
        b.reminders.runOnce(dueAt),
      ]);
      await both(dueAt + 5 * MINUTE);
      await both(start + 24 * HOUR + 6 * MINUTE);
      expect(remindersOf(c).length, `iteration ${i}`).to.equal(atCancel);
      expect(atCancel).to.be.at.most(1);
      sentBeforeCancel += atCancel;
    }
    // (How many went before their cancellation depends on timing; each went at most once, never after.)
    expect(sentBeforeCancel).to.be.at.most(25);
  });

  it('a reminder whose time had passed when the consultation was made is not sent; the later one is', async () => {
    const start = Date.now();
    const soon = await booked(90 * MINUTE);
    await both(start + 31 * MINUTE);
    await both(start + 80 * MINUTE);
    expect(remindersOf(soon).length).to.equal(1);
    expect(await redis.client.hget(keys.consultation(org.org.id, soon.consultationId), 'reminders')).to.equal('60');
  });

  it('an SMS provider that is down, then back: the reminder goes once', async () => {
    const start = Date.now();
    const c = await booked(25 * HOUR);
    twilio.down = true;
    try {
      await both(start + HOUR + 6 * MINUTE);
      await both(start + HOUR + 6 * MINUTE + 30_000);
    } finally {
      twilio.down = false;
    }
    expect(remindersOf(c).length, 'while it is down').to.equal(0);
    await both(start + HOUR + 6 * MINUTE + 30_000);
    expect(remindersOf(c).length, 'tried again after a minute, not at once').to.equal(0);
    await both(start + HOUR + 8 * MINUTE);
    await both(start + HOUR + 12 * MINUTE);
    expect(remindersOf(c).length).to.equal(1);
  });

  it('admins choose the reminders on the organization page: a short list of minutes before, checked', async () => {
    const admin = await memberApi(a, org.org.id, (await addMember(a.services, org.org.id, { role: 'admin' })).id);
    const patch = (reminderMinutes: unknown) => admin.call('PATCH', '/api/admin/organization', { reminderMinutes });
    for (const [bad, says] of [
      [[1], 'reminderMinutes.0: reminder_invalid'],
      [[60, 60], 'reminderMinutes: reminder_invalid'],
      [[10080, 2880, 1440, 180, 60, 30], 'reminderMinutes: too_many_reminders'],
      [['60'], 'reminderMinutes.0: reminder_invalid'],
      [[30_000], 'reminderMinutes.0: reminder_invalid'],
    ] as const) {
      const res = await patch(bad);
      expect([res.status, res.body.error.message], JSON.stringify(bad)).to.deep.equal([400, says]);
    }
    expect((await pro.call('PATCH', '/api/admin/organization', { reminderMinutes: [30] })).status, 'not an admin').to.equal(403);
    expect(((await admin.call('GET', '/api/admin/organization')).body as OrganizationOverview).settings.reminderMinutes).to.deep.equal([1440, 60]);
    expect((await patch([30, 2880])).status).to.equal(200);
    expect(((await admin.call('GET', '/api/admin/organization')).body as OrganizationOverview).settings.reminderMinutes).to.deep.equal([2880, 30]);
    const c = await booked(3 * 24 * HOUR);
    expect(await redis.client.hget(keys.consultation(org.org.id, c.consultationId), 'reminders')).to.equal('2880,30');
    expect((await patch([])).status, 'none at all').to.equal(200);
    const none = await booked(3 * 24 * HOUR);
    expect(await redis.client.hget(keys.consultation(org.org.id, none.consultationId), 'reminders')).to.equal(null);
    expect((await patch([1440, 60])).status).to.equal(200);
  });

  it('the reminder index lives no longer than its consultations: its TTL follows theirs, and the purge trims what retention has passed', async () => {
    const short = await createOrganization(a.services, { retentionDays: 1 });
    const member = await memberApi(a, short.org.id, short.professional.id);
    const at = Date.now() + 2 * HOUR;
    const res = await member.call('POST', '/api/consultations', { roomId: short.room.id, scheduledAt: at, phone: '+4791234567' });
    expect(res.status).to.equal(201);
    const id = (res.body as ConsultationCreated).consultationId;
    expect(await redis.client.zscore(keys.reminders(short.org.id), `${id}:60`)).to.equal(String(at - HOUR));
    const [indexTtl, consultationTtl] = await Promise.all([redis.client.pttl(keys.reminders(short.org.id)), redis.client.pttl(keys.consultation(short.org.id, id))]);
    expect(indexTtl).to.be.within(consultationTtl - 5_000, consultationTtl + 5_000);
    // A day (the retention) after the consultation's time: its entry goes with the purge's pass.
    await a.purge.runOnce(at + 24 * HOUR + MINUTE);
    expect(await redis.client.zscore(keys.reminders(short.org.id), `${id}:60`)).to.equal(null);
  });
});
