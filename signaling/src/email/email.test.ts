import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import { appointmentTime, LANGUAGE_CODES, type Language } from '../../protocol/index.ts';
import { scheduleConsultation, cancelConsultation } from '../consultations/schedule.ts';
import { AppError } from '../errors.ts';
import { keys } from '../redis/keys.ts';
import { adminOf } from '../test-support/bankid-setup.ts';
import { loadConfig } from '../config.ts';
import { claimEmails, finishEmailAttempt } from './email-scripts.ts';
import { startRedis } from '../test-support/redis-server.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SmtpStandIn } from '../test-support/smtp-stand-in.ts';
import { createOrganization, startTestServer, type TestOrganization, type TestServer } from '../test-support/test-server.ts';
import { EmailOutbox } from './email-outbox.ts';
import type { EmailMessage } from './email-sender.ts';
import { EMAIL_TEXTS } from './email-texts.ts';

const FROM = 'Fjordklinikken video <no-reply@clinic.example>';
const RETRY_BASE_MS = 60_000;
const GIVE_UP_MS = 6 * 3600_000;
/** What must never be in an e-mail: the visitor's name and phone, the room (its name says who and what). */
const VISITOR = { name: 'Kari Nordmann', phone: '+4791234567' };
const ROOM_NAME = 'Dr. Hansen, psykiatri';

/** Everything a recipient's mail program sees of a message: headers, text, HTML and attachments. */
const everyPart = (mail: ParsedMail) =>
  [JSON.stringify([...mail.headers]), mail.subject ?? '', mail.text ?? '', String(mail.html || ''), ...mail.attachments.map((a) => a.content.toString('utf8'))].join('\n');
/** An iCalendar file with its folded lines joined again (RFC 5545 folds at 75 octets). */
const unfold = (ics: string) => ics.replace(/\r?\n[ \t]/g, '');

describe('e-mail: invitations, reminders, receipts and member invitations through a real SMTP server (smtp-server, mailparser, Redis)', function () {
  this.timeout(60_000);
  let smtp: SmtpStandIn;
  let server: TestServer;
  let org: TestOrganization;
  let outbox: EmailOutbox;
  let clock: number;

  before(async () => {
    smtp = await SmtpStandIn.create();
    server = await startTestServer({
      env: { SMTP_URL: smtp.url, SMTP_FROM: FROM, EMAIL_RETRY_BASE_MS: String(RETRY_BASE_MS), EMAIL_GIVE_UP_AFTER_MS: String(GIVE_UP_MS), EMAIL_TIMEOUT_MS: '2000' },
    });
    org = await createOrganization(server.services, { name: 'Fjordklinikken' });
    await server.services.organizations.renameRoom(org.org.id, org.room.id, ROOM_NAME);
    outbox = server.services.email as EmailOutbox;
    expect(outbox).to.be.instanceOf(EmailOutbox);
    clock = Date.now();
    outbox.now = () => clock;
  });
  after(async () => {
    await server?.close();
    await smtp?.stop();
  });
  beforeEach(async () => {
    await smtp.start().catch(() => {}); // (running already)
    smtp.refuseWith(null);
    smtp.received.length = 0;
    smtp.offered = 0;
  });

  /** A consultation at `at` (prefilled with the visitor's name and phone) and its link. */
  async function consultationAt(at: number | null) {
    const { consultation, visitorLink } = await scheduleConsultation(
      server.services,
      { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: at, prefill: VISITOR },
      clock,
    );
    return { id: consultation.id, link: visitorLink };
  }

  const invitation = (c: { id: string; link: string }, at: number | null, language: Language, to = 'kari@example.no'): EmailMessage => ({
    kind: 'consultation-invitation',
    consultationId: c.id,
    to,
    language,
    scheduledAt: at,
    link: c.link,
  });

  it("an invitation arrives in the visitor's language with the time in the organization's zone, a calendar file and the link, and nothing about the visitor, their health or the room", async () => {
    // 09:00 UTC in January is 10:00 in Oslo (the organization's zone).
    const at = Date.UTC(2027, 0, 15, 9, 0);
    const c = await consultationAt(at);
    const id = await server.services.email.enqueue(org.org.id, invitation(c, at, 'nb'));
    const [mail] = await smtp.waitFor(1);
    const time = appointmentTime(at, 'Europe/Oslo', 'nb');
    expect(time).to.contain('10:00');
    expect(mail!.subject).to.equal(`Videokonsultasjon med Fjordklinikken ${time}`);
    expect(mail!.to && !Array.isArray(mail!.to) ? mail!.to.text : '').to.equal('kari@example.no');
    expect(mail!.from?.text).to.contain('no-reply@clinic.example');
    expect(mail!.messageId).to.equal(`<${id}@127.0.0.1>`);
    expect(mail!.text).to.contain(`Fjordklinikken har satt opp en videokonsultasjon med deg ${time}.`);
    expect(mail!.text).to.contain(c.link);
    expect(String(mail!.html)).to.contain(`href="${c.link}"`).and.to.contain('lang="nb"');

    const ics = mail!.attachments.find((a) => a.contentType === 'text/calendar');
    expect(ics, 'a calendar file').to.not.equal(undefined);
    expect(ics!.filename).to.equal('invitation.ics');
    const calendar = unfold(ics!.content.toString('utf8'));
    expect(calendar).to.contain('METHOD:PUBLISH');
    expect(calendar).to.contain(`UID:consultation-${c.id}@127.0.0.1`);
    expect(calendar).to.contain('DTSTART:20270115T090000Z');
    expect(calendar).to.contain(`URL:${c.link}`);
    expect(calendar).to.match(/DESCRIPTION:[^\r\n]*https?:\/\//);
    expect(calendar.split(/\r?\n/).find((l) => l.startsWith('DESCRIPTION:'))!.replace(/\\/g, '')).to.contain(c.link);
    expect(calendar).to.match(/ORGANIZER;CN="?Fjordklinikken"?:mailto:no-reply@clinic\.example/i);

    for (const secret of [VISITOR.name, VISITOR.phone, ROOM_NAME, 'psykiatri', org.professional.name]) expect(everyPart(mail!), secret).not.to.contain(secret);
    const [delivery] = await outbox.deliveriesOf(org.org.id, c.id);
    expect(delivery).to.include({ messageId: id, kind: 'consultation-invitation', status: 'sent' });
    // The address is sealed at rest: not in the message's record as written.
    expect(JSON.stringify(await server.redis.client.hgetall(keys.email(org.org.id, id)))).not.to.contain('kari@example.no');
    // Nor in the logs, nor the link.
    expect(server.logs().join('\n')).not.to.contain('kari@example.no').and.not.to.contain(c.link);
  });

  it('the same invitation calendar entry (UID) every time for one consultation; without a time, no calendar file', async () => {
    const at = Date.UTC(2027, 5, 1, 12, 30);
    const c = await consultationAt(at);
    await server.services.email.enqueue(org.org.id, invitation(c, at, 'en'));
    await server.services.email.enqueue(org.org.id, invitation(c, at, 'en'));
    const anytime = await consultationAt(null);
    await server.services.email.enqueue(org.org.id, invitation(anytime, null, 'en'));
    const mails = await smtp.waitFor(3);
    const uids = mails.filter((m) => m.attachments.length).map((m) => /UID:([^\r\n]+)/.exec(m.attachments[0]!.content.toString('utf8'))?.[1]);
    expect(uids).to.deep.equal([`consultation-${c.id}@127.0.0.1`, `consultation-${c.id}@127.0.0.1`]);
    const plain = mails.find((m) => m.text?.includes(anytime.link))!;
    expect(plain.subject).to.equal('Video consultation with Fjordklinikken');
    expect(plain.attachments).to.have.length(0);
    // Summer: 12:30 UTC is 14:30 in Oslo.
    expect(appointmentTime(at, 'Europe/Oslo', 'en')).to.contain('1 June 2027').and.to.contain('14:30');
    expect(mails.find((m) => m.text?.includes(c.link))!.subject).to.equal(`Video consultation with Fjordklinikken on ${appointmentTime(at, 'Europe/Oslo', 'en')}`);
  });

  it('every language has every text with the same placeholders, and each one arrives as written', async () => {
    const placeholders = (v: unknown): string[] =>
      typeof v === 'string' ? (v.match(/\{\w+\}/g) ?? []).sort() : Object.entries(v as object).flatMap(([k, x]) => placeholders(x).map((p) => `${k}.${p}`));
    const shape = (v: unknown): string[] => (typeof v === 'string' ? [] : Object.entries(v as object).flatMap(([k, x]) => [k, ...shape(x).map((s) => `${k}.${s}`)]));
    for (const lang of LANGUAGE_CODES) {
      expect(shape(EMAIL_TEXTS[lang]), lang).to.deep.equal(shape(EMAIL_TEXTS.en));
      expect(placeholders(EMAIL_TEXTS[lang]), lang).to.deep.equal(placeholders(EMAIL_TEXTS.en));
    }
    const at = Date.UTC(2027, 2, 10, 7, 15);
    const c = await consultationAt(at);
    for (const lang of LANGUAGE_CODES) await server.services.email.enqueue(org.org.id, invitation(c, at, lang, `${lang}@example.no`));
    const mails = await smtp.waitFor(LANGUAGE_CODES.length);
    for (const lang of LANGUAGE_CODES) {
      const mail = mails.find((m) => (m.to && !Array.isArray(m.to) ? m.to.text : '') === `${lang}@example.no`)!;
      expect(mail.text, lang).to.contain(EMAIL_TEXTS[lang].join).and.to.contain(EMAIL_TEXTS[lang].cancel);
      expect(mail.text, lang).to.contain(appointmentTime(at, 'Europe/Oslo', lang));
      expect(String(mail.html), lang).to.contain(`lang="${lang}"`);
    }
  });

  it("a reminder arrives with the time in the organization's zone (here New York's, in Swedish)", async () => {
    await server.services.organizations.updateSettings(org.org.id, { timeZone: 'America/New_York' });
    try {
      const at = Date.UTC(2027, 0, 20, 15, 0);
      const c = await consultationAt(at);
      await server.services.email.enqueue(org.org.id, { kind: 'consultation-reminder', consultationId: c.id, to: 'sven@example.se', language: 'sv', scheduledAt: at, link: c.link, minutesBefore: 60 });
      const [mail] = await smtp.waitFor(1);
      const time = appointmentTime(at, 'America/New_York', 'sv');
      expect(time).to.contain('10:00');
      expect(mail!.subject).to.equal(`Påminnelse: videokonsultation med Fjordklinikken ${time}`);
      expect(mail!.text).to.contain(`Vi vill påminna om din videokonsultation med Fjordklinikken ${time}.`).and.to.contain(c.link);
      expect(mail!.attachments).to.have.length(0);
      for (const secret of [VISITOR.name, VISITOR.phone, ROOM_NAME]) expect(everyPart(mail!)).not.to.contain(secret);
    } finally {
      await server.services.organizations.updateSettings(org.org.id, { timeZone: 'Europe/Oslo' });
    }
  });

  it('an invalid address is refused when queued, with email_invalid, and nothing is queued', async () => {
    const c = await consultationAt(null);
    const before = await server.redis.client.zcard(keys.emails(org.org.id));
    for (const to of ['not-an-address', 'kari@', '', 'kari@example.no\r\nBcc: x@example.com']) {
      const refused = await server.services.email.enqueue(org.org.id, invitation(c, null, 'en', to)).then(() => null, (e: unknown) => e);
      expect(refused, JSON.stringify(to)).to.be.instanceOf(AppError);
      expect((refused as AppError).code).to.equal('email_invalid');
    }
    expect(await server.redis.client.zcard(keys.emails(org.org.id))).to.equal(before);
    expect(await outbox.deliveriesOf(org.org.id, c.id)).to.deep.equal([]);
  });

  it('queueing an e-mail is one Redis round trip (counted at our client; a pipeline is one)', async () => {
    const c = await consultationAt(null);
    const redis = server.services.redis as unknown as { sendCommand: (cmd: { name: string }, stream?: object) => unknown };
    const original = redis.sendCommand;
    /** The commands of each round trip (a pipeline's share one stream). */
    const trips: string[][] = [];
    const tripOf = new WeakMap<object, string[]>();
    redis.sendCommand = function (this: unknown, cmd, stream) {
      let trip = stream ? tripOf.get(stream) : undefined;
      if (!trip) {
        trips.push((trip = []));
        if (stream) tripOf.set(stream, trip);
      }
      trip.push(cmd.name);
      return original.call(this, cmd, stream);
    };
    try {
      await server.services.email.enqueue(org.org.id, invitation(c, null, 'en'));
    } finally {
      redis.sendCommand = original;
    }
    // (A delivery pass the enqueue set off may have begun meanwhile: its reads are not the enqueue's.)
    const writes = trips.filter((t) => t.some((name) => name === 'evalsha' || name === 'eval' || name === 'zadd'));
    expect(writes, JSON.stringify(trips)).to.have.length(1);
    expect(writes[0]).to.include('zadd').and.to.satisfy((names: string[]) => names.includes('evalsha') || names.includes('eval'));
    await smtp.waitFor(1);
  });

  it('the same dedupe key twice queues one e-mail', async () => {
    const at = clock + 86_400_000;
    const c = await consultationAt(at);
    const reminder: EmailMessage = { kind: 'consultation-reminder', consultationId: c.id, to: 'kari@example.no', language: 'nb', scheduledAt: at, link: c.link, minutesBefore: 1440 };
    const [a, b] = await Promise.all([
      server.services.email.enqueue(org.org.id, reminder, { dedupeKey: `reminder:${c.id}:1440` }),
      server.services.email.enqueue(org.org.id, reminder, { dedupeKey: `reminder:${c.id}:1440` }),
    ]);
    expect(a).to.equal(b);
    await smtp.waitFor(1);
    await outbox.pass();
    expect(smtp.received).to.have.length(1);
    expect(await outbox.deliveriesOf(org.org.id, c.id)).to.have.length(1);
  });

  it('an SMTP server that is down, then back: the e-mail is delivered once, with backoff between tries', async () => {
    await smtp.stop();
    const at = clock + 3 * 86_400_000;
    const c = await consultationAt(at);
    const id = await server.services.email.enqueue(org.org.id, invitation(c, at, 'da'));
    await outbox.pass();
    expect((await outbox.deliveriesOf(org.org.id, c.id))[0]).to.include({ status: 'queued' });
    const attempts = async () => Number(await server.redis.client.hget(keys.email(org.org.id, id), 'attempts'));
    expect(await attempts()).to.equal(1);
    // Not tried again before its backoff (at least half the base) has passed.
    clock += RETRY_BASE_MS / 4;
    await outbox.pass();
    expect(await attempts()).to.equal(1);
    clock += RETRY_BASE_MS;
    await outbox.pass();
    expect(await attempts()).to.equal(2);
    await smtp.start();
    clock += 4 * RETRY_BASE_MS;
    await outbox.pass();
    await smtp.waitFor(1);
    for (let i = 0; i < 3; i++) {
      clock += 10 * RETRY_BASE_MS;
      await outbox.pass();
    }
    expect(smtp.received).to.have.length(1);
    expect(smtp.received[0]!.messageId).to.equal(`<${id}@127.0.0.1>`);
    expect((await outbox.deliveriesOf(org.org.id, c.id))[0]).to.include({ status: 'sent', at: clock - 30 * RETRY_BASE_MS });
  });

  it('an SMTP server that refuses the message (5xx): failed at once, shown on the consultation, never offered again', async () => {
    smtp.refuseWith(550);
    const c = await consultationAt(null);
    await server.services.email.enqueue(org.org.id, invitation(c, null, 'en'));
    await outbox.pass();
    for (let i = 0; i < 3; i++) {
      clock += 10 * RETRY_BASE_MS;
      await outbox.pass();
    }
    expect(smtp.offered).to.equal(1);
    expect(smtp.received).to.have.length(0);
    const [delivery] = await outbox.deliveriesOf(org.org.id, c.id);
    expect(delivery).to.include({ kind: 'consultation-invitation', status: 'failed' });
  });

  it('an SMTP server down for longer than EMAIL_GIVE_UP_AFTER_MS: failed after its retries', async () => {
    await smtp.stop();
    const c = await consultationAt(null);
    const id = await server.services.email.enqueue(org.org.id, invitation(c, null, 'en'));
    await outbox.pass();
    const started = clock;
    while (clock <= started + GIVE_UP_MS) {
      clock += 3600_000;
      await outbox.pass();
    }
    const tries = Number(await server.redis.client.hget(keys.email(org.org.id, id), 'attempts'));
    expect(tries).to.be.greaterThan(4);
    expect((await outbox.deliveriesOf(org.org.id, c.id))[0]).to.include({ status: 'failed' });
    await smtp.start();
    clock += 3600_000;
    await outbox.pass();
    expect(smtp.offered).to.equal(0);
  });

  it('a consultation cancelled before its e-mail goes: nothing is sent, the e-mail shows as dropped', async () => {
    await smtp.stop();
    const at = clock + 2 * 86_400_000;
    const c = await consultationAt(at);
    await server.services.email.enqueue(org.org.id, invitation(c, at, 'nb'));
    await outbox.pass();
    await cancelConsultation(server.services, org.org.id, c.id, { memberId: org.professional.id }, clock);
    // Queued after the cancellation too (a reminder that raced it).
    await server.services.email.enqueue(org.org.id, { kind: 'consultation-reminder', consultationId: c.id, to: 'kari@example.no', language: 'nb', scheduledAt: at, link: c.link, minutesBefore: 60 });
    await smtp.start();
    clock += 10 * RETRY_BASE_MS;
    await outbox.pass();
    await outbox.pass();
    expect(smtp.offered).to.equal(0);
    expect((await outbox.deliveriesOf(org.org.id, c.id)).map((d) => d.status)).to.deep.equal(['dropped', 'dropped']);
  });

  it('a receipt goes to the address the visitor was invited at when their card payment is settled, once', async () => {
    const at = clock + 86_400_000;
    const c = await consultationAt(at);
    await server.services.email.enqueue(org.org.id, invitation(c, at, 'nb', 'betaler@example.no'));
    await smtp.waitFor(1);
    const visitorId = 'a'.repeat(32);
    clock += 1000;
    // The domain event the payment code reports a capture with (heard twice: a retried webhook).
    const captured = { orgId: org.org.id, consultationId: c.id, visitorId, outcome: 'captured', amount: 45_000, currency: 'NOK', settledAt: Date.UTC(2027, 0, 15, 9, 45) } as const;
    await server.services.domainEvents.publish('payment.settled', captured);
    await server.services.domainEvents.publish('payment.settled', captured);
    const mails = await smtp.waitFor(2);
    await outbox.pass();
    expect(smtp.received).to.have.length(2);
    const receipt = mails[1]!;
    expect(receipt.to && !Array.isArray(receipt.to) ? receipt.to.text : '').to.equal('betaler@example.no');
    expect(receipt.subject).to.equal('Kvittering for videokonsultasjonen din med Fjordklinikken');
    expect(receipt.text).to.match(/Beløp: 450,00\skr/);
    expect(receipt.text).to.contain('Dato: 15. januar 2027').and.to.contain('Betalt til: Fjordklinikken');
    for (const secret of [VISITOR.name, VISITOR.phone, ROOM_NAME, visitorId]) expect(everyPart(receipt)).not.to.contain(secret);
    expect((await outbox.deliveriesOf(org.org.id, c.id)).map((d) => d.kind)).to.deep.equal(['consultation-invitation', 'payment-receipt']);
  });

  it('a member invitation sends the link by e-mail, never the code; the admin is told it was e-mailed', async () => {
    const admin = await adminOf(server, org.org.id);
    const res = await fetch(`${server.url}/api/admin/invitations`, {
      method: 'POST',
      headers: { origin: server.origin, 'content-type': 'application/json', 'accept-language': 'nn-NO,nn;q=0.9', ...admin.headers },
      body: JSON.stringify({ name: 'Ny Kollega', email: 'ny.kollega@example.no', role: 'professional' }),
    });
    expect(res.status, await res.clone().text()).to.equal(201);
    const created = (await res.json()) as { invitationUrl: string; code: string; emailed: boolean };
    expect(created.emailed).to.equal(true);
    const [mail] = await smtp.waitFor(1);
    expect(mail!.to && !Array.isArray(mail!.to) ? mail!.to.text : '').to.equal('ny.kollega@example.no');
    expect(mail!.subject).to.equal('Invitasjon til Fjordklinikken');
    expect(mail!.text).to.contain(created.invitationUrl).and.to.contain('invitasjonskoden');
    expect(everyPart(mail!)).not.to.contain(created.code);
  });

  it("a process that dies holding an e-mail: another sends it once the claim runs out, and the dead one's late word changes nothing", async () => {
    await smtp.stop();
    const at = clock + 86_400_000;
    const c = await consultationAt(at);
    const id = await server.services.email.enqueue(org.org.id, invitation(c, at, 'en'));
    await outbox.pass();
    // Due again; a process claims it (as the outbox does) and dies before it sends.
    clock += 2 * RETRY_BASE_MS;
    const redis = server.services.redis;
    const member = (await redis.hget(keys.email(org.org.id, id), 'due'))!;
    const claimed = await claimEmails.run(redis, {
      keys: { due: keys.emailDue(org.org.id), records: [keys.email(org.org.id, id), keys.consultation(org.org.id, c.id)] },
      args: { now: clock, claimUntil: clock + 6000, token: 'dead-process', members: [member] },
    });
    expect(claimed[1]).to.equal(member);
    await smtp.start();
    await outbox.pass();
    expect(smtp.offered, 'not while the claim holds').to.equal(0);
    clock += 6000;
    await outbox.pass();
    await smtp.waitFor(1);
    expect(
      await finishEmailAttempt.run(redis, {
        keys: { message: keys.email(org.org.id, id), due: keys.emailDue(org.org.id) },
        args: { member, token: 'dead-process', now: clock, outcome: 'retry', retryAt: clock, error: '' },
      }),
    ).to.equal('lost');
    clock += 10 * RETRY_BASE_MS;
    await outbox.pass();
    expect(smtp.offered).to.equal(1);
    expect((await outbox.deliveriesOf(org.org.id, c.id))[0]).to.include({ status: 'sent' });
  });

  it('two processes on one Redis deliver each e-mail once', async () => {
    const second = await startTestServer({ redis: server.redis, env: { SMTP_URL: smtp.url, SMTP_FROM: FROM, EMAIL_TIMEOUT_MS: '2000' } });
    try {
      (second.services.email as EmailOutbox).now = () => clock;
      const c = await consultationAt(clock + 86_400_000);
      const ids = await Promise.all(
        Array.from({ length: 24 }, (_, i) => (i % 2 ? server : second).services.email.enqueue(org.org.id, invitation(c, null, 'en', `v${i}@example.no`))),
      );
      await smtp.waitFor(24);
      await Promise.all([outbox.pass(), (second.services.email as EmailOutbox).pass()]);
      expect(smtp.offered).to.equal(24);
      expect(new Set(smtp.received.map((m) => m.messageId))).to.have.property('size', 24);
      expect(new Set(smtp.received.map((m) => m.messageId))).to.deep.equal(new Set(ids.map((id) => `<${id}@127.0.0.1>`)));
    } finally {
      await second.close();
    }
  });
});

describe('e-mail off: a server without SMTP settings', function () {
  this.timeout(60_000);
  it('refuses e-mail with email_unavailable and tells admins what to set', async () => {
    const server = await startTestServer();
    try {
      expect(server.services.email.available).to.equal(false);
      const org = await createOrganization(server.services);
      const refused = await server.services.email
        .enqueue(org.org.id, { kind: 'member-invitation', to: 'a@example.no', language: 'en', link: 'https://x.example/', expiresAt: Date.now() })
        .then(() => null, (e: unknown) => e);
      expect((refused as AppError).code).to.equal('email_unavailable');
      const admin = await adminOf(server, org.org.id);
      const status = await fetch(`${server.url}/api/admin/email`, { headers: { origin: server.origin, ...admin.headers } });
      expect(status.status).to.equal(200);
      expect(await status.json()).to.deep.equal({ available: false, from: null });
    } finally {
      await server.close();
    }
  });
});

describe('e-mail across a restart (real SMTP server, Redis)', function () {
  this.timeout(90_000);
  it('an e-mail queued while the SMTP server was down is sent once by the process that started after', async () => {
    const redis = await startRedis();
    const smtp = await SmtpStandIn.create({ down: true });
    const env = { SMTP_URL: smtp.url, SMTP_FROM: FROM, EMAIL_RETRY_BASE_MS: String(RETRY_BASE_MS) };
    try {
      const first = await startTestServer({ redis, env });
      const org = await createOrganization(first.services, { name: 'Fjordklinikken' });
      const { consultation, visitorLink } = await scheduleConsultation(first.services, { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null });
      const id = await first.services.email.enqueue(org.org.id, { kind: 'consultation-invitation', consultationId: consultation.id, to: 'kari@example.no', language: 'nb', scheduledAt: null, link: visitorLink });
      await (first.services.email as EmailOutbox).pass();
      await first.close();
      await smtp.start();
      const second = await startTestServer({ redis, env });
      try {
        const outbox = second.services.email as EmailOutbox;
        outbox.now = () => Date.now() + 2 * RETRY_BASE_MS;
        await smtp.waitFor(1);
        await outbox.pass();
        expect(smtp.received.map((m) => m.messageId)).to.deep.equal([`<${id}@127.0.0.1>`]);
        expect((await outbox.deliveriesOf(org.org.id, consultation.id))[0]).to.include({ status: 'sent' });
      } finally {
        await second.close();
      }
    } finally {
      await smtp.stop();
      await redis.stop();
    }
  });
});

describe('e-mail settings', () => {
  const base = { PUBLIC_ORIGIN: 'https://video.example.no', REDIS_URL: 'redis://127.0.0.1:6379', ADDRESS_HASH_KEY: 'k'.repeat(32), DATA_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}` };
  const problem = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('take an SMTP server as one URL or as its parts, with a sender; a half-given one stops the start, naming what is missing', () => {
    expect(problem({ SMTP_URL: 'smtps://user:pw@smtp.example.no', SMTP_FROM: FROM })).to.equal(null);
    expect(problem({ SMTP_HOST: 'smtp.example.no', SMTP_PORT: '587', SMTP_USER: 'u', SMTP_PASSWORD: 'p', SMTP_FROM: FROM })).to.equal(null);
    expect(problem({ SMTP_HOST: 'smtp.example.no' })).to.contain('SMTP_FROM');
    expect(problem({ SMTP_FROM: FROM })).to.contain('SMTP_FROM');
    expect(problem({ SMTP_URL: 'smtp://a.example', SMTP_HOST: 'b.example', SMTP_FROM: FROM })).to.contain('SMTP_URL');
    expect(problem({ SMTP_HOST: 'smtp.example.no', SMTP_USER: 'u', SMTP_FROM: FROM })).to.contain('SMTP_USER and SMTP_PASSWORD');
    expect(problem({ SMTP_URL: 'https://smtp.example.no', SMTP_FROM: FROM })).to.contain('SMTP_URL');
  });

  it('read the password (or the whole URL) from a file, like every setting (<NAME>_FILE), and never print it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-smtp-'));
    try {
      const file = path.join(dir, 'smtp-password');
      fs.writeFileSync(file, 's3cret-smtp-password\n', { mode: 0o600 });
      const config = loadConfig({ ...base, SMTP_HOST: 'smtp.example.no', SMTP_USER: 'u', SMTP_PASSWORD_FILE: file, SMTP_FROM: FROM });
      expect(config.SMTP_PASSWORD).to.equal('s3cret-smtp-password');
      const both = problem({ SMTP_HOST: 'smtp.example.no', SMTP_USER: 'u', SMTP_PASSWORD: 'x', SMTP_PASSWORD_FILE: file, SMTP_FROM: FROM });
      expect(both).to.contain('SMTP_PASSWORD_FILE').and.not.to.contain('s3cret');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
