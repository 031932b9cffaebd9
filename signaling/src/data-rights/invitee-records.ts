import { compactPhone, emailAddress, isLanguage, type ConsultationStatus, type InviteeExport, type InviteeMatch, type InviteeMessage } from '../../protocol/index.ts';
import type { SmsAlerts } from '../alerts/sms-alerts.ts';
import { ErasureLedger } from '../backup/erasure-ledger.ts';
import { markRewriteDue } from '../backup/redis-files.ts';
import { normalizedContact, type InviteeContact } from '../consultations/consultation-store.ts';
import { forgetConsultationEmails } from '../email/email-outbox.ts';
import type { EmailDelivery } from '../email/email-sender.ts';
import { notFound } from '../errors.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';

const listOf = (commaSeparated: string | null | undefined) => (commaSeparated ?? '').split(',').filter(Boolean);

const EMAIL_KINDS: Record<EmailDelivery['kind'], InviteeMessage['kind'] | null> = {
  'consultation-invitation': 'invitation',
  'consultation-reminder': 'reminder',
  'payment-receipt': 'receipt',
  'member-invitation': null,
};

/**
 * Someone a professional or the record system invited by phone number or e-mail address has the same
 * rights as a visitor who came, even if they never opened the link: found by the number or address they
 * give (through its keyed hash: nothing in Redis is an index of numbers or addresses), their invitations
 * and reminders exported, and all of it erased at once, here and at Twilio.
 */
export class InviteeRecords {
  constructor(
    private readonly s: Services,
    private readonly sms: SmsAlerts,
  ) {}

  /**
   * What the admin typed, as the contacts it could be: an address; a number in international form
   * ("+47 912 34 567", "0047..."), or a national one, tried with each country code this server texts
   * (with and without a leading trunk 0: "070..." in Sweden is +4670...).
   */
  private contactsOf(query: string): InviteeContact[] {
    const address = emailAddress.safeParse(query);
    if (address.success) return [{ kind: 'email', value: address.data }];
    const compact = compactPhone(query);
    if (/^\+\d{6,15}$/.test(compact)) return [{ kind: 'phone', value: compact }];
    if (/^00\d{6,15}$/.test(compact)) return [{ kind: 'phone', value: `+${compact.slice(2)}` }];
    if (!/^\d{6,15}$/.test(compact)) return [];
    const national = [compact, ...(compact.startsWith('0') ? [compact.slice(1)] : [])];
    return this.s.config.apiSmsCountryCodes.flatMap((code) => national.map((n) => ({ kind: 'phone' as const, value: `${code}${n}` })));
  }

  async find(orgId: string, query: string): Promise<InviteeMatch[]> {
    const contacts = this.contactsOf(query.trim());
    if (!contacts.length) return [];
    const rooms = new Map((await this.s.organizations.listRooms(orgId)).map((r) => [r.id, r.name]));
    const matches: InviteeMatch[] = [];
    for (const contact of contacts) {
      const inviteeId = this.s.consultations.inviteeId(orgId, contact);
      if (matches.some((m) => m.inviteeId === inviteeId)) continue;
      const consultations = [];
      for (const id of await this.s.consultations.consultationsOfInvitee(orgId, inviteeId)) {
        const [roomId, scheduledAt, state] = await this.s.redis.hmget(keys.consultation(orgId, id), 'roomId', 'scheduledAt', 'state');
        if (!roomId) continue;
        consultations.push({ consultationId: id, scheduledAt: scheduledAt ? Number(scheduledAt) : null, roomName: rooms.get(roomId) ?? '', state: (state ?? 'scheduled') as ConsultationStatus });
      }
      if (consultations.length) {
        matches.push({ inviteeId, channel: contact.kind === 'phone' ? 'sms' : 'email', contact: normalizedContact(contact).value, consultations });
      }
    }
    return matches;
  }

  /**
   * The consultations they were invited to, and the messages that went (or are to go) to this number or
   * address: never another contact of the same booking, nor anything the visitor who came typed (that is
   * the visitor's own export).
   */
  async export(orgId: string, inviteeId: string, now = Date.now()): Promise<InviteeExport> {
    const { s } = this;
    const ids = await s.consultations.consultationsOfInvitee(orgId, inviteeId);
    let contact: InviteeContact | null = null;
    for (const id of ids) if (!contact) contact = await s.consultations.contactOf(orgId, id, inviteeId);
    if (!contact) throw notFound('no such person');
    const channel = contact.kind === 'phone' ? 'sms' : 'email';
    const rooms = new Map((await s.organizations.listRooms(orgId)).map((r) => [r.id, r.name]));
    const consultations: InviteeExport['consultations'] = [];
    for (const id of ids) {
      const [h, smsRecords] = await Promise.all([s.redis.hgetall(keys.consultation(orgId, id)), s.redis.scard(keys.consultationSms(orgId, id))]);
      if (!h.id) continue;
      const scheduledAt = h.scheduledAt ? Number(h.scheduledAt) : null;
      const messages: InviteeMessage[] = [];
      if (channel === 'sms' && (h.smsInvitation === 'sent' || h.smsInvitation === 'failed')) {
        messages.push({ channel, kind: 'invitation', at: Number(h.createdAt), status: h.smsInvitation });
      }
      if (channel === 'email') {
        for (const d of await s.email.deliveriesOf(orgId, id)) {
          const kind = EMAIL_KINDS[d.kind];
          if (kind) messages.push({ channel, kind, at: d.at, status: d.status });
        }
      }
      // Reminders: those that went by SMS, and those still to go (by this channel).
      const closed = h.state === 'cancelled' || h.state === 'ended';
      for (const minutes of listOf(h.reminders)) {
        if (!listOf(h.invitationChannels).includes(channel) || scheduledAt === null) continue;
        const due = scheduledAt - Number(minutes) * 60_000;
        const pending = !closed && (await s.redis.zscore(keys.reminders(orgId), `${id}:${minutes}`)) !== null && h[`reminded:${minutes}`] !== 'sent';
        const smsSent = channel === 'sms' && (h[`reminded:${minutes}:sms`] === 'sent' || h[`reminded:${minutes}`] === 'sent');
        if (smsSent) messages.push({ channel, kind: 'reminder', at: due, status: 'sent', minutesBefore: Number(minutes) });
        else if (pending) messages.push({ channel, kind: 'reminder', at: due, status: 'pending', minutesBefore: Number(minutes) });
      }
      messages.sort((a, b) => a.at - b.at);
      consultations.push({
        consultationId: id,
        room: rooms.get(h.roomId ?? '') ?? '',
        createdAt: Number(h.createdAt),
        scheduledAt,
        state: (h.state ?? 'scheduled') as ConsultationStatus,
        ...(h.cancelledAt ? { cancelledAt: Number(h.cancelledAt) } : {}),
        ...(isLanguage(h.invitationLanguage) ? { language: h.invitationLanguage } : {}),
        messages,
        smsRecords: channel === 'sms' ? smsRecords : 0,
      });
    }
    return {
      exportedAt: now,
      organizationId: orgId,
      invitee: { inviteeId, channel, contact: contact.value },
      consultations,
      notes: [
        'Messages are listed by how and when they went, never their text: each held only the organization’s name, the time and a private link.',
        'What a visitor typed when they checked in with the link is in that visitor’s own record (find them by name or phone number).',
        'The audit log records who acted on this, by an opaque id only.',
      ],
    };
  }

  /**
   * Erases them at once: from each consultation they were invited to, their number and address, the link
   * sent to them, Twilio's ids (and Twilio's copies of the texts), every e-mail with what became of it, and
   * the reminders still to go. The consultations themselves stay (their time and state) for the professional.
   */
  async erase(orgId: string, inviteeId: string): Promise<void> {
    const { s } = this;
    const ids = await s.consultations.consultationsOfInvitee(orgId, inviteeId);
    if (!ids.length) throw notFound('no such person');
    const sids = (await Promise.all(ids.map((id) => s.redis.smembers(keys.consultationSms(orgId, id))))).flat();
    await this.sms.forgetMessages(sids);
    await eraseInviteeRecords(s, orgId, inviteeId);
  }
}

/**
 * What an invitee's erasure does in Redis, also run by a restore for those erased since its snapshot; the
 * erasure ledger records it (a keyed hash of the invitee id), and Redis's own files are rewritten soon after.
 */
export async function eraseInviteeRecords(s: Pick<Services, 'redis' | 'config' | 'consultations'>, orgId: string, inviteeId: string, now = Date.now()): Promise<void> {
  for (const id of await s.consultations.consultationsOfInvitee(orgId, inviteeId)) {
    await s.consultations.forgetInvitee(orgId, id);
    await forgetConsultationEmails(s.redis, orgId, id);
  }
  const ledger = new ErasureLedger(s.config.ADDRESS_HASH_KEY, s.config.BACKUP_KEEP_DAYS);
  // (An index entry of a consultation that expired meanwhile: the index goes whole.)
  const tx = s.redis.multi().del(keys.invitee(orgId, inviteeId)).zrem(keys.invitees(orgId), inviteeId);
  ledger.record(tx, [ledger.inviteeEntry(orgId, inviteeId)], now);
  markRewriteDue(tx, now);
  await tx.exec();
}
