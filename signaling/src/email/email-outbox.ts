import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import nodemailer, { type Transporter } from 'nodemailer';
import { emailAddress, isLanguage } from '../../protocol/index.ts';
import type { Config } from '../config.ts';
import { fieldContext, type FieldCipher } from '../crypto/field-cipher.ts';
import { AppError, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import type { OrganizationStore } from '../organizations/organization-store.ts';
import { keys } from '../redis/keys.ts';
import { claimEmails, enqueueEmail, finishEmailAttempt, forgetEmails, settleEmailOrganization } from './email-scripts.ts';
import { retryDelay } from '../webhooks/webhook-outbox.ts';
import { EmailOff, type EmailDelivery, type EmailMessage, type EmailSender } from './email-sender.ts';
import { renderEmail } from './email-texts.ts';

type EmailSettings = Pick<
  Config,
  | 'SMTP_URL'
  | 'SMTP_HOST'
  | 'SMTP_PORT'
  | 'SMTP_SECURE'
  | 'SMTP_USER'
  | 'SMTP_PASSWORD'
  | 'SMTP_FROM'
  | 'EMAIL_RETRY_BASE_MS'
  | 'EMAIL_GIVE_UP_AFTER_MS'
  | 'EMAIL_TIMEOUT_MS'
  | 'EMAIL_CONCURRENCY'
  | 'PUBLIC_ORIGIN'
>;

/** The kinds that are about a consultation still to come: not sent once it is cancelled or over. */
const DROPPED_WHEN_CLOSED: ReadonlySet<EmailMessage['kind']> = new Set(['consultation-invitation', 'consultation-reminder']);
/** Organizations looked at per pass (the rest at the next, a moment later). */
const ORGANIZATIONS_PER_PASS = 50;
const POLL_MS = 1000;

/** What an SMTP attempt came to: the server's code, or the network error's, for the record (never the address). */
interface Outcome {
  ok: boolean;
  /** A 5xx answer: the server will never take this message; trying again changes nothing. */
  permanent: boolean;
  error: string;
}

/** The SMTP transport from the settings (SMTP_URL, or SMTP_HOST and its parts), with our time limits. */
export function smtpTransport(c: EmailSettings): Transporter {
  const limits = { connectionTimeout: c.EMAIL_TIMEOUT_MS, greetingTimeout: c.EMAIL_TIMEOUT_MS, socketTimeout: c.EMAIL_TIMEOUT_MS };
  if (c.SMTP_URL) return nodemailer.createTransport({ url: c.SMTP_URL, ...limits });
  return nodemailer.createTransport({
    host: c.SMTP_HOST,
    port: c.SMTP_PORT ?? (c.SMTP_SECURE ? 465 : 587),
    secure: c.SMTP_SECURE ?? c.SMTP_PORT === 465,
    ...(c.SMTP_USER ? { auth: { user: c.SMTP_USER, pass: c.SMTP_PASSWORD } } : {}),
    ...limits,
  });
}

/**
 * A consultation's e-mails, the addresses in them and what became of them, erased at once (its visitor's
 * erasure; a restore repeating it). Works on the records alone, so also on a server whose SMTP is off now.
 * Answers how many went.
 */
export async function forgetConsultationEmails(redis: Redis, orgId: string, consultationId: string): Promise<number> {
  const index = keys.consultationEmails(orgId, consultationId);
  const ids = await redis.zrange(index, '0', '-1');
  const removed = ids.length
    ? await forgetEmails.run(redis, {
        keys: { emails: keys.emails(orgId), due: keys.emailDue(orgId), consultationEmails: index, messages: ids.map((id) => keys.email(orgId, id)) },
        args: { ids },
      })
    : 0;
  await redis.del(index);
  return removed;
}

/** The e-mail way out this server has: the outbox with SMTP when it is set up, EmailOff otherwise. */
export function emailFromConfig(redis: Redis, cipher: FieldCipher, organizations: OrganizationStore, config: EmailSettings, log: Logger): EmailSender {
  if (!(config.SMTP_URL || config.SMTP_HOST) || !config.SMTP_FROM) return new EmailOff();
  return new EmailOutbox(redis, cipher, organizations, config, log, smtpTransport(config));
}

/**
 * The durable way out for e-mail, shared by every signaling process through Redis.
 *
 * - `enqueue` stores the message (sealed: the address and the link are personal data) and marks its
 *   organization as having e-mail due: one round trip.
 * - Every process looks for due e-mail each second (and at once after its own enqueue). A process claims
 *   due e-mails in one atomic step per organization, so no two processes send the same one; an invitation
 *   or a reminder whose consultation was cancelled or ended meanwhile is dropped in that same step.
 * - A claim runs out after three SMTP time limits: the e-mail of a process that died mid-send is tried
 *   again by another. Every try of one message carries the same Message-ID, so the rare second copy after
 *   such a crash is recognisably the same message.
 * - A temporary failure (no connection, a 4xx answer) is tried again with exponential backoff, until
 *   EMAIL_GIVE_UP_AFTER_MS after it was queued; a 5xx answer fails it at once. Either way `failed` shows on
 *   its consultation (deliveriesOf).
 */
export class EmailOutbox implements EmailSender {
  readonly available = true;
  /** The clock attempts are made and judged by (tests move it to see a day of retries pass). */
  now: () => number = Date.now;
  private readonly host: string;
  private timer?: NodeJS.Timeout;
  private running = false;
  private current: Promise<number> | null = null;
  private again = false;

  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
    private readonly organizations: OrganizationStore,
    private readonly config: EmailSettings,
    private readonly log: Logger,
    private readonly transport: Transporter,
  ) {
    this.host = new URL(config.PUBLIC_ORIGIN).hostname;
  }

  private get claimMs(): number {
    return this.config.EMAIL_TIMEOUT_MS * 3;
  }

  async enqueue(orgId: string, message: EmailMessage, options: { dedupeKey?: string } = {}): Promise<string> {
    const to = emailAddress.safeParse(message.to);
    if (!to.success) throw new AppError('email_invalid', 'to: not an e-mail address');
    if (!isLanguage(message.language)) throw new AppError('bad_request', 'language: not one the service speaks');
    const id = newId();
    const now = this.now();
    const consultationId = 'consultationId' in message ? message.consultationId : '';
    const dropIfClosed = DROPPED_WHEN_CLOSED.has(message.kind);
    const member = `${id}:${dropIfClosed ? consultationId : ''}`;
    const body = this.cipher.encrypt(JSON.stringify({ ...message, to: to.data }), fieldContext.emailBody(orgId, id));
    const extra: string[] = [];
    if (consultationId) extra.push(keys.consultationEmails(orgId, consultationId));
    // Hashed: a dedupe key may name a consultation; as stored, it names nothing.
    if (options.dedupeKey) extra.push(keys.emailDedupe(orgId, createHash('sha256').update(options.dedupeKey).digest('base64url')));
    const [answer] = await Promise.all([
      enqueueEmail.run(this.redis, {
        keys: { org: keys.organization(orgId), message: keys.email(orgId, id), emails: keys.emails(orgId), due: keys.emailDue(orgId), extra },
        args: {
          id,
          now,
          member,
          kind: message.kind,
          consultationId,
          body,
          hasConsultation: consultationId ? '1' : '',
          hasDedupe: options.dedupeKey ? '1' : '',
          dropIfClosed: dropIfClosed ? '1' : '',
        },
      }),
      // Sent with the script (one round trip); an organization gone is removed again by the next pass.
      this.redis.zadd(keys.emailOrganizations(), now, orgId),
    ]);
    if (answer[0] === 'not_found') throw notFound('no such organization');
    if (answer[0] === 'ok') this.kick();
    return answer[1]!;
  }

  async deliveriesOf(orgId: string, consultationId: string): Promise<EmailDelivery[]> {
    const ids = await this.redis.zrange(keys.consultationEmails(orgId, consultationId), '0', '-1');
    if (!ids.length) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(keys.email(orgId, id), 'kind', 'status', 'at');
    const rows = ((await pipeline.exec()) ?? []).map(([, v]) => v as (string | null)[]);
    return ids.flatMap((messageId, i) => {
      const [kind, status, at] = rows[i]!;
      return kind && status ? [{ messageId, kind: kind as EmailDelivery['kind'], status: status as EmailDelivery['status'], at: Number(at) }] : [];
    });
  }

  /** The address and language a consultation's visitor was last written to (for their receipt), or null. */
  async recipientOf(orgId: string, consultationId: string): Promise<{ to: string; language: EmailMessage['language'] } | null> {
    const ids = await this.redis.zrevrange(keys.consultationEmails(orgId, consultationId), '0', '9');
    for (const id of ids) {
      const opened = this.cipher.open(await this.redis.hget(keys.email(orgId, id), 'body'), fieldContext.emailBody(orgId, id));
      if (!opened) continue;
      const message = JSON.parse(opened) as EmailMessage;
      return { to: message.to, language: message.language };
    }
    return null;
  }

  start(): void {
    if (this.running || this.config.EMAIL_CONCURRENCY === 0) return;
    this.running = true;
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    await this.current?.catch(() => 0);
    this.transport.close();
  }

  /** A pass soon (now, or right after the one under way). */
  private kick(): void {
    if (!this.running) return;
    if (this.current) {
      this.again = true;
      return;
    }
    void this.pass().catch((err: Error) => this.log.warn({ err: err.message }, 'e-mail: a delivery pass failed; the next one tries again'));
  }

  /** One pass over the organizations with e-mail due (after the pass under way, if any); answers how many e-mails were tried. */
  async pass(): Promise<number> {
    while (this.current) await this.current.catch(() => 0);
    this.again = false;
    this.current = this.deliverDue().finally(() => {
      this.current = null;
      if (this.again) this.kick();
    });
    return this.current;
  }

  private async deliverDue(): Promise<number> {
    const now = this.now();
    const flat = await this.redis.zrangebyscore(keys.emailOrganizations(), '-inf', now, 'WITHSCORES', 'LIMIT', 0, ORGANIZATIONS_PER_PASS);
    let tried = 0;
    for (let i = 0; i < flat.length; i += 2) tried += await this.deliverFor(flat[i]!, flat[i + 1]!, now);
    return tried;
  }

  /** Claims what is due in one organization, tries each, then moves the organization's wake-up time. */
  private async deliverFor(orgId: string, score: string, now: number): Promise<number> {
    const due = keys.emailDue(orgId);
    const members = await this.redis.zrangebyscore(due, '-inf', now, 'LIMIT', 0, Math.max(1, this.config.EMAIL_CONCURRENCY));
    const token = randomBytes(16).toString('hex');
    const claimed: string[][] = [];
    if (members.length) {
      const records: string[] = [];
      for (const member of members) {
        const [id, consultationId] = member.split(':') as [string, string];
        records.push(keys.email(orgId, id), consultationId ? keys.consultation(orgId, consultationId) : keys.email(orgId, id));
      }
      const answer = await claimEmails.run(this.redis, { keys: { due, records }, args: { now, claimUntil: now + this.claimMs, token, members } });
      for (let i = 1; i + 4 < answer.length; i += 5) claimed.push(answer.slice(i, i + 5));
    }
    await Promise.all(claimed.map(([member, body, attempts, createdAt]) => this.attempt(orgId, token, member!, body!, Number(attempts), Number(createdAt))));
    const [, next] = await this.redis.zrange(due, '0', '0', 'WITHSCORES');
    await settleEmailOrganization.run(this.redis, { keys: { orgs: keys.emailOrganizations() }, args: { orgId, scoreRead: score, nextDue: next ?? '' } });
    return claimed.length;
  }

  private async attempt(orgId: string, token: string, member: string, sealed: string, attempts: number, createdAt: number): Promise<void> {
    const id = member.split(':')[0]!;
    const opened = this.cipher.open(sealed, fieldContext.emailBody(orgId, id));
    const org = await this.organizations.getOrganization(orgId);
    let outcome: Outcome;
    let kind = 'unreadable';
    if (!opened || !org) {
      // Its key is gone from DATA_ENCRYPTION_KEYS, or the organization closed: it can never go.
      outcome = { ok: false, permanent: true, error: opened ? 'organization_gone' : 'unreadable' };
    } else {
      const message = JSON.parse(opened) as EmailMessage;
      kind = message.kind;
      outcome = await this.send(id, message, org.name, org.timeZone);
    }
    const now = this.now();
    const horizon = createdAt + this.config.EMAIL_GIVE_UP_AFTER_MS;
    const status = outcome.ok ? 'sent' : outcome.permanent || now >= horizon ? 'failed' : 'retry';
    // The last try falls on the horizon itself, so a server that is down gets the whole period to come back.
    const nextAt = status === 'retry' ? Math.min(horizon, now + retryDelay(this.config.EMAIL_RETRY_BASE_MS, attempts + 1)) : '';
    const finished = await finishEmailAttempt.run(this.redis, {
      keys: { message: keys.email(orgId, id), due: keys.emailDue(orgId) },
      args: { member, token, now, outcome: status, retryAt: nextAt, error: outcome.error },
    });
    this.log.info({ orgId, emailId: id, kind, outcome: status, smtp: outcome.error || undefined, ...(finished === 'ok' ? {} : { late: true }) }, 'e-mail attempt');
  }

  private async send(id: string, message: EmailMessage, organizationName: string, timeZone: string): Promise<Outcome> {
    try {
      const from = this.config.SMTP_FROM!;
      const mail = renderEmail(message, { organizationName, timeZone, from, host: this.host });
      await this.transport.sendMail({
        from,
        to: message.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        // The same on every try: a second copy (after a crash mid-send) is known as the same message.
        messageId: `<${id}@${this.host}>`,
        headers: { 'Auto-Submitted': 'auto-generated' },
        ...(mail.calendar
          ? { attachments: [{ filename: 'invitation.ics', content: mail.calendar, contentType: 'text/calendar; charset=utf-8; method=PUBLISH' }] }
          : {}),
      });
      return { ok: true, permanent: false, error: '' };
    } catch (err) {
      const e = err as { responseCode?: number; code?: string };
      const code = typeof e.responseCode === 'number' ? e.responseCode : null;
      return { ok: false, permanent: code !== null && code >= 500 && code < 600, error: code !== null ? String(code) : String(e.code ?? 'error').slice(0, 40) };
    }
  }
}
