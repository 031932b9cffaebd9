import { visitorLinkOf } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { claimReminder, planReminders, reminderOutcome } from './consultation-scripts.ts';
import type { Services } from '../services.ts';
import type { InvitationSms } from './invitation-sms.ts';

/** How often each process looks for due reminders. */
const REMINDER_INTERVAL_MS = 15_000;
/** How long a process has to send a reminder it took (Twilio's own timeout is 30 s) before another may. */
const LEASE_MS = 60_000;
/** A reminder whose SMS or e-mail could not go is tried again this much later (until its consultation begins). */
const RETRY_MS = 60_000;
/** Organizations and reminders one pass looks at, at most (the rest at the next pass). */
const BATCH = 100;

/**
 * Reminders before a scheduled consultation whose visitor was invited by SMS or e-mail: at the minutes
 * before it that its organization chose (a day and an hour unless set), by the channels and in the
 * language of the invitation.
 *
 * Each reminder is an entry `<consultation>:<minutes>` in its organization's index, scored by when it is
 * due; a global index names the organizations with one due. Every process runs the job: one script takes a
 * due reminder only while its consultation is neither cancelled, ended nor begun and it was not sent, and
 * marks it as being sent, so of several processes exactly one sends it, and a restart loses nothing (the
 * entry stays until the reminder went). A cancellation removes the entries and waits for a reminder being
 * sent at that moment, so none goes out after it. A reminder whose time has passed when the consultation
 * is made is not planned at all.
 */
export class Reminders {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly s: Services,
    private readonly sms: InvitationSms,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((err: Error) => this.s.log.warn({ err: err.message }, 'reminder pass failed'))
        .finally(() => (this.running = undefined));
    }, REMINDER_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Plans a new consultation's reminders (those still ahead), by its organization's setting. */
  async plan(orgId: string, consultationId: string, scheduledAt: number, now = Date.now()): Promise<number> {
    const { s } = this;
    const org = await s.organizations.getOrganization(orgId);
    const minutes = (org?.reminderMinutes ?? []).filter((m) => scheduledAt - m * 60_000 > now);
    if (!minutes.length) return 0;
    const pairs = minutes.flatMap((m) => [`${consultationId}:${m}`, scheduledAt - m * 60_000]);
    const ttl = Number(await s.redis.pttl(keys.consultation(orgId, consultationId)));
    const planned = await planReminders.run(s.redis, {
      keys: { consultation: keys.consultation(orgId, consultationId), reminders: keys.reminders(orgId) },
      args: { ttlMs: Math.max(ttl, 1), minutes: minutes.join(','), due: pairs },
    });
    // The organization's own index first, then the global one (another slot, so not in the same script):
    // the job lowers its mark for an organization only after reading that organization's index.
    if (planned) await s.redis.zadd(keys.reminderOrganizations(), 'LT', String(Math.min(...minutes.map((m) => scheduledAt - m * 60_000))), orgId);
    return planned;
  }

  /** One pass: every due reminder of every organization with one due. Answers how many reminders went. */
  async runOnce(now = Date.now()): Promise<number> {
    const { redis } = this.s;
    let sent = 0;
    const orgIds = await redis.zrangebyscore(keys.reminderOrganizations(), '-inf', now, 'LIMIT', 0, BATCH);
    for (const orgId of orgIds) {
      // Marked "nothing known" before the organization's index is read, then lowered to what is left: a
      // reminder planned meanwhile lowers the mark itself (ZADD LT), before or after, and is never missed.
      await redis.zadd(keys.reminderOrganizations(), '+inf', orgId);
      const due = await redis.zrangebyscore(keys.reminders(orgId), '-inf', now, 'LIMIT', 0, BATCH);
      for (const member of due) if (await this.deliver(orgId, member, now)) sent++;
      const next = await redis.zrange(keys.reminders(orgId), '0', '0', 'WITHSCORES');
      if (next[1] !== undefined) await redis.zadd(keys.reminderOrganizations(), 'LT', next[1], orgId);
    }
    return sent;
  }

  /** Takes one reminder and sends it by each channel of the invitation; tried again later if one fails. */
  private async deliver(orgId: string, member: string, now: number): Promise<boolean> {
    const { s } = this;
    const [consultationId = '', minutes = ''] = member.split(':');
    const scriptKeys = { reminders: keys.reminders(orgId), consultation: keys.consultation(orgId, consultationId) };
    const claim = await claimReminder.run(s.redis, { keys: scriptKeys, args: { member, minutes, now, leaseUntil: now + LEASE_MS, sendingUntil: Date.now() + LEASE_MS } });
    if (claim !== 'claimed') return false;
    try {
      const [contact, [scheduledAt, smsDone]] = await Promise.all([
        s.consultations.invitationContact(orgId, consultationId),
        s.redis.hmget(keys.consultation(orgId, consultationId), 'scheduledAt', `reminded:${minutes}:sms`),
      ]);
      const at = Number(scheduledAt);
      if (contact.channels.includes('sms') && contact.phone && smsDone !== 'sent') {
        await this.sms.send(orgId, consultationId, at, contact.phone, contact.language, 'reminder');
        await reminderOutcome.run(s.redis, { keys: scriptKeys, args: { member, minutes, outcome: 'sms' } });
      }
      if (contact.channels.includes('email') && contact.email) {
        const token = await s.consultations.linkTokenOf(orgId, consultationId);
        if (!token) throw new Error('the link cannot be read');
        await s.email.enqueue(
          orgId,
          {
            kind: 'consultation-reminder',
            consultationId,
            to: contact.email,
            language: contact.language ?? 'en',
            scheduledAt: at,
            link: visitorLinkOf(s.config.PUBLIC_ORIGIN, token),
            minutesBefore: Number(minutes),
          },
          // The same reminder queued twice (a retry after its SMS failed, a lease taken over) is one e-mail.
          { dedupeKey: `reminder:${consultationId}:${minutes}` },
        );
      }
      await reminderOutcome.run(s.redis, { keys: scriptKeys, args: { member, minutes, outcome: 'sent' } });
      s.log.info({ orgId, consultationId, minutesBefore: Number(minutes) }, 'reminder sent');
      return true;
    } catch (err) {
      s.log.warn({ orgId, consultationId, err: (err as Error).message }, 'reminder could not be sent yet');
      await reminderOutcome.run(s.redis, { keys: scriptKeys, args: { member, minutes, outcome: now + RETRY_MS } });
      return false;
    }
  }
}
