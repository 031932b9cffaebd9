import { expect } from 'chai';
import type { ConsultationCreated, UpcomingConsultations } from '../../protocol/index.ts';
import { EmailOutbox } from '../email/email-outbox.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { SmtpStandIn } from '../test-support/smtp-stand-in.ts';
import { createOrganization, linkTokenOf, memberApi, postJson, startTestServer, type TestOrganization, type TestServer } from '../test-support/test-server.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const FROM = 'Fjordklinikken video <no-reply@clinic.example>';

/*
 * Invitations and reminders by e-mail, end to end: a professional books in the dashboard with the
 * visitor's e-mail address; a real SMTP server (smtp-server, parsed by mailparser) receives the invitation
 * with its calendar file, in the chosen language; the reminders come once each from two processes on one
 * Redis; a cancellation stops the rest; the professional's list says how the e-mail went.
 */
describe('invitations and reminders by e-mail (two processes on one Redis, a real SMTP server)', function () {
  this.timeout(90_000);
  let redis: TestRedis;
  let smtp: SmtpStandIn;
  let a: TestServer;
  let b: TestServer;
  let org: TestOrganization;
  let pro: Awaited<ReturnType<typeof memberApi>>;
  const env = () => ({ SMTP_URL: smtp.url, SMTP_FROM: FROM, EMAIL_TIMEOUT_MS: '2000' });
  const outboxes = () => [a, b].map((s) => s.services.email as EmailOutbox);
  /** Both processes deliver what is due, as their own timers would. */
  const deliver = () => Promise.all(outboxes().map((o) => o.pass()));
  // (By the link's path and secret: each process writes its own address before it here; in production they share PUBLIC_ORIGIN.)
  const mailsFor = (c: ConsultationCreated) => smtp.received.filter((m) => (m.text ?? '').includes(`/c/${c.visitorLink.split('/c/')[1]}`));

  before(async () => {
    redis = await startRedis();
    smtp = await SmtpStandIn.create();
    a = await startTestServer({ redis, env: env() });
    b = await startTestServer({ redis, env: env() });
    for (const o of outboxes()) expect(o).to.be.instanceOf(EmailOutbox);
    org = await createOrganization(a.services, { name: 'Fjordklinikken', retentionDays: 30 });
    pro = await memberApi(a, org.org.id, org.professional.id);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await smtp?.stop();
    await redis?.stop();
  });

  async function booked(inMs: number, language: string, email = 'kari@example.no'): Promise<ConsultationCreated & { at: number }> {
    // On the minute, so the time in the e-mail and the calendar file can be compared exactly.
    const at = Math.ceil((Date.now() + inMs) / MINUTE) * MINUTE;
    const res = await pro.call('POST', '/api/consultations', { roomId: org.room.id, scheduledAt: at, email, language });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return { ...(res.body as ConsultationCreated), at };
  }

  it('the invitation booked in the dashboard arrives in the chosen language with its calendar file, and the list says it was sent', async () => {
    const c = await booked(3 * 24 * HOUR, 'sv');
    expect(c.invitation.email).to.equal('queued');
    await deliver();
    const [mail] = await smtp.waitFor(1);
    expect(mailsFor(c)).to.have.length(1);
    const time = new Intl.DateTimeFormat('sv-SE', { timeStyle: 'short', timeZone: 'Europe/Oslo' }).format(c.at);
    expect(mail!.text).to.contain(time).and.to.contain('Fjordklinikken');
    expect(String(mail!.html)).to.contain('lang="sv"');
    const ics = mail!.attachments.find((a) => a.contentType === 'text/calendar')!.content.toString('utf8').replace(/\r?\n[ \t]/g, '');
    const utc = new Date(c.at).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    expect(ics).to.contain(`DTSTART:${utc}`).and.to.contain(`UID:consultation-${c.consultationId}@`);
    // Nothing of the room (its name says who and what) in any part.
    expect(JSON.stringify([mail!.subject, mail!.text, mail!.html, ics])).not.to.contain(org.room.name);

    const list = (await pro.call('GET', '/api/consultations/upcoming')).body as UpcomingConsultations;
    expect(list.consultations.find((x) => x.consultationId === c.consultationId)?.invitation).to.deep.include({ email: 'sent', language: 'sv' });
  });

  it('reminders by e-mail come once each from two processes, in the invitation’s language; none after the visitor cancels', async () => {
    smtp.received.length = 0;
    const start = Date.now();
    const kept = await booked(25 * HOUR, 'da', 'ole@example.dk');
    const cancelled = await booked(25 * HOUR, 'da', 'lis@example.dk');
    await deliver();
    await smtp.waitFor(2);
    const both = async (now: number) => {
      await Promise.all([a.reminders.runOnce(now), b.reminders.runOnce(now)]);
      await deliver();
    };
    // The day-before reminder: both processes run the job at once, twice.
    await both(start + HOUR + 6 * MINUTE);
    await both(start + HOUR + 7 * MINUTE);
    await smtp.waitFor(4);
    expect(mailsFor(kept)).to.have.length(2);
    expect(mailsFor(cancelled)).to.have.length(2);
    const reminder = mailsFor(kept)[1]!;
    expect(reminder.subject).to.match(/påmindelse/i);
    expect(reminder.attachments.filter((x) => x.contentType === 'text/calendar'), 'a reminder is not a second calendar entry').to.have.length(0);

    // The visitor cancels from their link: the hour-before reminder never goes to them.
    expect((await postJson(a, '/api/consultations/link/cancel', { token: linkTokenOf(cancelled.visitorLink) })).status).to.equal(200);
    await both(start + 24 * HOUR + 6 * MINUTE);
    await both(start + 24 * HOUR + 7 * MINUTE);
    await smtp.waitFor(5);
    // (Whatever else was due has gone by now: the job and both outboxes ran.)
    await deliver();
    expect(mailsFor(kept)).to.have.length(3);
    expect(mailsFor(cancelled)).to.have.length(2);
  });
});
