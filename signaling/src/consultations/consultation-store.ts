import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import { compactPhone, isLanguage, roomPrice, type ConsultationLinkState, type ConsultationStatus, type InvitationChannel, type Language, type RoomPrice } from '../../protocol/index.ts';
import { fieldContext, type FieldCipher } from '../crypto/field-cipher.ts';
import { keys } from '../redis/keys.ts';
import { addToOwnedSet } from '../retention/retained-scripts.ts';
import { cancelConsultation, createConsultation, forgetConsultationContacts, forgetConsultationVisitor, trimConsultationReference } from './consultation-scripts.ts';
import { decodePageCursor, encodePageCursor, isAfterCursor } from '../http/page-cursor.ts';
import { hashSecret, newId, newSecret, sameHash, tokenParts } from '../ids.ts';

export interface Consultation {
  id: string;
  orgId: string;
  roomId: string;
  /** Who scheduled it: a member, or '' when an API key did (see createdBy). */
  professionalId: string;
  createdAt: number;
  /** Null: any time (the link works as soon as it is sent). */
  scheduledAt: number | null;
  /** Its own price, overriding the room's: null free; undefined: the room's price applies. */
  price?: RoomPrice | null;
}

/** A consultation as the API shows it: its progress (moved by s.events) and its personal fields opened. */
export interface ConsultationRecord extends Consultation {
  state: ConsultationStatus;
  externalReference: string | null;
  prefill: { name?: string; phone?: string };
  arrivedAt: number | null;
  admittedAt: number | null;
  endedAt: number | null;
  cancelledAt: number | null;
  callMs: number | null;
  /** When its data (and link) goes: the retention period from the later of its creation and its time. */
  expiresAt: number;
  /** Who made it: a member's id, or `api-key:<id>`. */
  createdBy: string;
  /** The invitation a member sent with it from the dashboard: its channels, language and how the SMS went. */
  invitation: { channels: InvitationChannel[]; language?: Language; sms?: 'sent' | 'failed' };
  /** 'visitor', 'member:<id>' or 'api-key:<id>'; null unless cancelled (or cancelled before this was noted). */
  cancelledBy: string | null;
}

/** A phone number or e-mail address a visitor was invited by. */
export interface InviteeContact {
  kind: 'phone' | 'email';
  value: string;
}

/** A contact as invitees are known by: numbers as the invitation checks them, addresses trimmed and in lower case. */
export const normalizedContact = (c: InviteeContact): InviteeContact => ({ kind: c.kind, value: c.kind === 'phone' ? compactPhone(c.value) : c.value.trim().toLowerCase() });

/** Where a consultation's invitation (and its reminders) go, and in which language. */
export interface InvitationContact {
  channels: InvitationChannel[];
  language?: Language;
  phone?: string;
  email?: string;
}

export interface NewConsultation {
  orgId: string;
  roomId: string;
  professionalId: string;
  scheduledAt: number | null;
  externalReference?: string;
  prefill?: { name?: string; phone?: string };
  price?: RoomPrice | null;
  /** A member's id (the default: professionalId) or `api-key:<id>`. */
  createdBy?: string;
  /** Sent from the dashboard with an invitation: by these channels (the phone is the prefill's), in this language. */
  invitation?: { channels: InvitationChannel[]; language?: Language; email?: string };
}

export interface ListQuery {
  status?: ConsultationStatus;
  /** Time range of the consultations' time (scheduled, else created): from inclusive, to exclusive. */
  from?: number;
  to?: number;
  externalReference?: string;
  cursor?: string;
  limit: number;
}

/** How many index entries one list request reads at most (a filter that matches little still answers soon). */
const SCAN_PER_REQUEST = 500;
const BATCH = 100;

const listOf = (commaSeparated: string | null | undefined) => (commaSeparated ?? '').split(',').filter(Boolean);
const numberOr = (v: string | undefined) => (v ? Number(v) : null);

/**
 * Scheduled consultations: a private link for one visitor, to a room, at a time; made by a professional
 * in the dashboard or by an EHR through the API. The link is `<org>.<consultation>.<secret>` with a
 * 256-bit secret; its hash grants access. Its data lives for the organization's retention period from the
 * later of its creation and its scheduled time, and so do its entries in the organization's index (scored
 * by that time, so a trim by score is exact) and in its external reference's index.
 *
 * The external reference and the visitor prefill are personal data: field-cipher ciphertext. The
 * reference is found through a keyed hash of it (HMAC with a deployment secret). The link's secret is
 * also kept sealed (besides its hash), only so the API can send the link by SMS later.
 */
export class ConsultationStore {
  private readonly lookupKey: Buffer;
  private readonly inviteeKey: Buffer;

  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
    lookupSecret: string,
  ) {
    this.lookupKey = createHmac('sha256', lookupSecret).update('consult consultation references v1').digest();
    this.inviteeKey = createHmac('sha256', lookupSecret).update('consult invitee contacts v1').digest();
  }

  /**
   * The id of whoever was invited by this phone number or e-mail address: a keyed hash of it (per
   * organization), so the index names no one and yet finds them when an admin types the same number or
   * address. Numbers as the invitation checks them ("+47 912 34 567" is +4791234567), addresses in lower case.
   */
  inviteeId(orgId: string, contact: InviteeContact): string {
    return createHmac('sha256', this.inviteeKey).update(`${orgId}\n${contact.kind}:${normalizedContact(contact).value}`).digest().subarray(0, 16).toString('hex');
  }

  /** The consultations someone was invited to by one number or address (by its invitee id), oldest first. */
  async consultationsOfInvitee(orgId: string, inviteeId: string): Promise<string[]> {
    return this.redis.zrange(keys.invitee(orgId, inviteeId), '0', '-1');
  }

  /** The contact behind an invitee id on one of its consultations (opened from the sealed fields), or null. */
  async contactOf(orgId: string, id: string, inviteeId: string): Promise<InviteeContact | null> {
    const [phone, email] = await this.redis.hmget(keys.consultation(orgId, id), 'prefillPhone', 'visitorEmail');
    const opened: InviteeContact[] = [];
    const p = this.open(orgId, id, 'prefillPhone', phone ?? undefined);
    const e = this.open(orgId, id, 'visitorEmail', email ?? undefined);
    if (p) opened.push(normalizedContact({ kind: 'phone', value: p }));
    if (e) opened.push(normalizedContact({ kind: 'email', value: e }));
    return opened.find((c) => this.inviteeId(orgId, c) === inviteeId) ?? null;
  }

  /**
   * Whom a consultation's invitation reached is erased from it: their number, address, name as given and
   * link (sealed), Twilio's ids, and its entries in every invitee index. Its pending reminders go first (one
   * being sent that moment is waited for), so nothing more goes to them. The rest (its time, room, state)
   * stays for the professional and the record system.
   */
  async forgetInvitee(orgId: string, id: string): Promise<void> {
    await this.settleReminders(orgId, id);
    await this.forgetContacts(orgId, id, ['prefillPhone', 'visitorEmail', 'prefillName', 'linkSecret'], { withSms: true });
  }

  /** `withSms`: Twilio's ids of its invitation SMS go too. */
  private async forgetContacts(orgId: string, id: string, fields: string[], opts: { withSms?: boolean } = {}): Promise<void> {
    const inviteeIds = listOf(await this.redis.hget(keys.consultation(orgId, id), 'inviteeIds'));
    await forgetConsultationContacts.run(this.redis, {
      keys: {
        consultation: keys.consultation(orgId, id),
        invitees: keys.invitees(orgId),
        sms: keys.consultationSms(orgId, id),
        inviteeIndexes: inviteeIds.map((i) => keys.invitee(orgId, i)),
      },
      args: { consultationId: id, withSms: opts.withSms ? '1' : '', rest: [...inviteeIds, ...fields] },
    });
  }

  /** The purge job: trims the invitee indexes whose oldest consultation is past retention. Answers how many entries went. */
  async trimInvitees(orgId: string, due: string[], cutoff: number): Promise<number> {
    let removed = 0;
    for (const inviteeId of due) {
      removed += await trimConsultationReference.run(this.redis, { keys: { references: keys.invitees(orgId), referenceIndex: keys.invitee(orgId, inviteeId) }, args: { member: inviteeId, cutoff } });
    }
    return removed;
  }

  private seal(orgId: string, id: string, field: string, value: string): string {
    return this.cipher.encrypt(value, fieldContext.consultationField(orgId, id, field));
  }

  private open(orgId: string, id: string, field: string, stored: string | undefined): string | null {
    return this.cipher.open(stored, fieldContext.consultationField(orgId, id, field));
  }

  /** The keyed hash an external reference is indexed by (per organization: equal references elsewhere do not match). */
  referenceHash(orgId: string, reference: string): string {
    return createHmac('sha256', this.lookupKey).update(`${orgId}\n${reference}`).digest('base64url');
  }

  async create(c: NewConsultation, retentionMs: number, now = Date.now()): Promise<{ consultation: Consultation; token: string; expiresAt: number }> {
    const id = newId();
    const secret = newSecret();
    const time = Math.max(now, c.scheduledAt ?? now);
    const ttl = retentionMs + (time - now);
    const fields: Record<string, string | number> = {
      id,
      roomId: c.roomId,
      professionalId: c.professionalId,
      createdBy: c.createdBy ?? c.professionalId,
      createdAt: now,
      scheduledAt: c.scheduledAt ?? '',
      secretHash: hashSecret(secret),
      linkSecret: this.seal(c.orgId, id, 'linkSecret', secret),
      state: 'scheduled',
    };
    if (c.externalReference !== undefined) fields.externalReference = this.seal(c.orgId, id, 'externalReference', c.externalReference);
    if (c.prefill?.name) fields.prefillName = this.seal(c.orgId, id, 'prefillName', c.prefill.name);
    if (c.prefill?.phone) fields.prefillPhone = this.seal(c.orgId, id, 'prefillPhone', c.prefill.phone);
    if (c.price !== undefined) fields.price = JSON.stringify(c.price);
    if (c.invitation?.channels.length) {
      fields.invitationChannels = c.invitation.channels.join(',');
      if (c.invitation.language) fields.invitationLanguage = c.invitation.language;
      if (c.invitation.email) fields.visitorEmail = this.seal(c.orgId, id, 'visitorEmail', c.invitation.email);
    }
    const refHash = c.externalReference !== undefined ? this.referenceHash(c.orgId, c.externalReference) : '';
    const indexes: string[] = [];
    if (refHash) indexes.push(keys.consultationsByReference(c.orgId, refHash), keys.consultationReferences(c.orgId));
    // Whoever its number or address belongs to can be found by it (and the consultation erased of it).
    const contacts: InviteeContact[] = [
      ...(c.prefill?.phone ? [{ kind: 'phone' as const, value: c.prefill.phone }] : []),
      ...(c.invitation?.email ? [{ kind: 'email' as const, value: c.invitation.email }] : []),
    ];
    const inviteeIds = [...new Set(contacts.map((contact) => this.inviteeId(c.orgId, contact)))];
    if (inviteeIds.length) {
      fields.inviteeIds = inviteeIds.join(',');
      indexes.push(keys.invitees(c.orgId), ...inviteeIds.map((i) => keys.invitee(c.orgId, i)));
    }
    await createConsultation.run(this.redis, {
      keys: { consultation: keys.consultation(c.orgId, id), consultations: keys.consultations(c.orgId), indexes },
      args: { id, score: time, ttlMs: ttl, referenceHash: refHash, inviteeCount: inviteeIds.length, rest: [...inviteeIds, ...Object.entries(fields).flat()] },
    });
    const consultation: Consultation = { id, orgId: c.orgId, roomId: c.roomId, professionalId: c.professionalId, createdAt: now, scheduledAt: c.scheduledAt, ...(c.price !== undefined ? { price: c.price } : {}) };
    return { consultation, token: `${c.orgId}.${id}.${secret}`, expiresAt: now + ttl };
  }

  /**
   * The consultation a link is for; null for anything malformed, unknown, expired, cancelled or not
   * matching. `{ cancelled: true }`: a cancelled one too (its link's page says it was cancelled).
   */
  async resolve(token: unknown, opts: { cancelled?: boolean } = {}): Promise<Consultation | null> {
    if (typeof token !== 'string') return null;
    const parts = tokenParts(token);
    if (!parts) return null;
    const { orgId, id, secret } = parts;
    const h = await this.redis.hgetall(keys.consultation(orgId, id));
    if (!h.secretHash || !sameHash(h.secretHash, hashSecret(secret)) || (h.state === 'cancelled' && !opts.cancelled)) return null;
    return this.toConsultation(orgId, h);
  }

  /**
   * What its link does now (the same rule the check-in script applies, see ONE_VISITOR_PER_LINK): it is
   * held while its last visitor checks in, waits or is in the call, and over once their call ended.
   */
  async linkStateOf(c: Consultation): Promise<ConsultationLinkState> {
    const [state, holders] = await Promise.all([
      this.redis.hget(keys.consultation(c.orgId, c.id), 'state'),
      this.redis.zrange(keys.consultationVisitors(c.orgId, c.id), '-1', '-1'),
    ]);
    if (state === 'cancelled') return 'cancelled';
    if (state === 'ended') return 'ended';
    const holder = holders[0];
    if (!holder) return 'open';
    const [held, leftReason] = await this.redis.hmget(keys.visitor(c.orgId, holder), 'state', 'leftReason');
    if (held === 'checking_in' || held === 'waiting' || held === 'in_call') return 'in_use';
    if (held === 'ended' || (held === 'left' && leftReason === 'denied')) return 'ended';
    return 'open';
  }

  /** Who cancelled it, as stored ('visitor', 'member:<id>', 'api-key:<id>'), or null. */
  async cancelledByOf(c: Consultation): Promise<string | null> {
    return this.redis.hget(keys.consultation(c.orgId, c.id), 'cancelledBy');
  }

  /** What the check-in form is prefilled with, for the holder of the link. */
  async prefillOf(c: Consultation): Promise<{ name?: string; phone?: string }> {
    const [name, phone] = await this.redis.hmget(keys.consultation(c.orgId, c.id), 'prefillName', 'prefillPhone');
    return this.prefill(c.orgId, c.id, { prefillName: name ?? undefined, prefillPhone: phone ?? undefined });
  }

  /** The visitor's link again (for an SMS invitation); null if it cannot be read. */
  async linkTokenOf(orgId: string, id: string): Promise<string | null> {
    const secret = this.open(orgId, id, 'linkSecret', (await this.redis.hget(keys.consultation(orgId, id), 'linkSecret')) ?? undefined);
    return secret ? `${orgId}.${id}.${secret}` : null;
  }

  async get(orgId: string, id: string, retentionMs: number): Promise<ConsultationRecord | null> {
    const h = await this.redis.hgetall(keys.consultation(orgId, id));
    return h.id ? this.toRecord(orgId, h, retentionMs) : null;
  }

  /** A visitor of it was erased: nothing on the consultation names or reaches them any more (nor finds them by their number or address). */
  async forgetVisitor(orgId: string, id: string, visitorId: string): Promise<void> {
    await forgetConsultationVisitor.run(this.redis, {
      keys: { consultation: keys.consultation(orgId, id), consultationVisitors: keys.consultationVisitors(orgId, id), consultationSms: keys.consultationSms(orgId, id) },
      args: { visitorId },
    });
    await this.forgetContacts(orgId, id, ['prefillPhone', 'visitorEmail']);
  }

  /** Where its invitation went (and its reminders go): channels, language, the visitor's phone and address. */
  async invitationContact(orgId: string, id: string): Promise<InvitationContact> {
    const [channels, language, phone, email] = await this.redis.hmget(keys.consultation(orgId, id), 'invitationChannels', 'invitationLanguage', 'prefillPhone', 'visitorEmail');
    const opened = {
      phone: this.open(orgId, id, 'prefillPhone', phone ?? undefined),
      email: this.open(orgId, id, 'visitorEmail', email ?? undefined),
    };
    return {
      channels: listOf(channels) as InvitationChannel[],
      ...(isLanguage(language) ? { language } : {}),
      ...(opened.phone ? { phone: opened.phone } : {}),
      ...(opened.email ? { email: opened.email } : {}),
    };
  }

  /** How the dashboard's SMS invitation went (shown on the professional's list). */
  async noteSmsInvitation(orgId: string, id: string, outcome: 'sent' | 'failed'): Promise<void> {
    await this.redis.hset(keys.consultation(orgId, id), 'smsInvitation', outcome);
  }

  /**
   * The organization's consultations whose time is from `from` on (unscheduled ones by their creation),
   * soonest first, at most `limit`; cancelled ones too (the professional sees that they were).
   */
  async upcoming(orgId: string, from: number, limit: number, retentionMs: number): Promise<ConsultationRecord[]> {
    const ids = await this.redis.zrangebyscore(keys.consultations(orgId), from, '+inf', 'LIMIT', 0, limit);
    if (!ids.length) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.consultation(orgId, id));
    const hashes = ((await pipeline.exec()) ?? []).map(([, h]) => h as Record<string, string>);
    return hashes.filter((h) => h.id).map((h) => this.toRecord(orgId, h, retentionMs));
  }

  /** An invitation went out by SMS: Twilio's id of it, to delete its record there later. */
  async noteSms(orgId: string, id: string, sid: string): Promise<void> {
    await addToOwnedSet.run(this.redis, { keys: { owner: keys.consultation(orgId, id), set: keys.consultationSms(orgId, id) }, args: { member: sid } });
  }

  /** The price a visitor of this consultation pays (its own, else the room's). */
  async priceForVisitor(orgId: string, visitorId: string, roomPriceNow: RoomPrice | null): Promise<RoomPrice | null> {
    const consultationId = await this.redis.hget(keys.visitor(orgId, visitorId), 'consultationId');
    if (!consultationId) return roomPriceNow;
    const stored = await this.redis.hget(keys.consultation(orgId, consultationId), 'price');
    return stored ? parsePrice(stored) ?? roomPriceNow : roomPriceNow;
  }

  /**
   * Cancels: the link stops working and visitors of it who are waiting or checking in leave the line (the
   * caller tells them). Answers the removed visitors and their rooms, or why not.
   */
  async cancel(
    orgId: string,
    id: string,
    by: string,
    now = Date.now(),
  ): Promise<{ result: 'ok' | 'already_cancelled' | 'not_found' | 'consultation_in_call' | 'consultation_closed'; removed: { visitorId: string; roomId: string }[] }> {
    // The visitors' keys are read first (a script must name every key it touches); a visitor who checks in
    // between that read and the script changes the list, and the script then answers `visitors_changed`
    // without changing anything: read again. (Each retry needs a new check-in in that gap.)
    for (let attempt = 0; ; attempt++) {
      if (attempt === 20) throw new Error('cancelling a consultation: its visitors kept changing');
      const visitorIds = await this.redis.zrange(keys.consultationVisitors(orgId, id), '0', '-1');
      const noted = visitorIds.join(',');
      const rooms = await Promise.all(visitorIds.map((v) => this.redis.hget(keys.visitor(orgId, v), 'roomId')));
      const visitorsAndLines: string[] = [];
      visitorIds.forEach((v, i) => {
        if (rooms[i]) visitorsAndLines.push(keys.visitor(orgId, v), keys.waiting(orgId, rooms[i]!));
      });
      const [result, ...removedIds] = await cancelConsultation.run(this.redis, {
        keys: { consultation: keys.consultation(orgId, id), consultationVisitors: keys.consultationVisitors(orgId, id), presence: keys.presence(orgId), visitorsAndLines },
        args: { now, visitorIdsRead: noted, by },
      });
      if (result === 'visitors_changed') continue;
      if (result === 'ok') await this.settleReminders(orgId, id);
      const roomOf = new Map(visitorIds.map((v, i) => [v, rooms[i] ?? '']));
      return { result, removed: removedIds.map((visitorId) => ({ visitorId, roomId: roomOf.get(visitorId) ?? '' })) };
    }
  }

  /**
   * After a cancellation (which no reminder can be claimed past): its pending reminders leave the index,
   * and one that a process is sending right now is waited for (until its lease ends at the latest), so no
   * reminder goes out after the cancellation has returned.
   */
  private async settleReminders(orgId: string, id: string): Promise<void> {
    const key = keys.consultation(orgId, id);
    const minutes = listOf(await this.redis.hget(key, 'reminders'));
    if (!minutes.length) return;
    await this.redis.zrem(keys.reminders(orgId), ...minutes.map((m) => `${id}:${m}`));
    for (;;) {
      const marks = await this.redis.hmget(key, ...minutes.map((m) => `reminded:${m}`));
      const sending = marks.filter((v) => v?.startsWith('sending:')).map((v) => Number(v!.slice('sending:'.length)));
      if (!sending.some((until) => until > Date.now())) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * A page of the organization's consultations, newest first by their time. The cursor is the last entry
   * of the page before (its score and id: equal times are ordered by id), so entries added or gone
   * meanwhile neither repeat nor skip others. Filters read through the index; a request reads at most
   * SCAN_PER_REQUEST entries, so a page may be short and still have a next one.
   */
  async list(orgId: string, q: ListQuery, retentionMs: number, now = Date.now()): Promise<{ consultations: ConsultationRecord[]; nextCursor: string | null }> {
    const index = q.externalReference !== undefined ? keys.consultationsByReference(orgId, this.referenceHash(orgId, q.externalReference)) : keys.consultations(orgId);
    const after = q.cursor ? decodePageCursor(q.cursor) : null;
    const min = Math.max(q.from ?? 0, now - retentionMs);
    let max = q.to !== undefined ? q.to - 1 : Number.MAX_SAFE_INTEGER;
    if (after) max = Math.min(max, after.score);
    const found: ConsultationRecord[] = [];
    let last: { score: number; id: string } | null = after;
    let offset = 0;
    let scanned = 0;
    let exhausted = false;
    scan: while (scanned < SCAN_PER_REQUEST) {
      const flat = await this.redis.zrevrangebyscore(index, max, min, 'WITHSCORES', 'LIMIT', offset, BATCH);
      offset += flat.length / 2;
      const entries: { id: string; score: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const e = { id: flat[i]!, score: Number(flat[i + 1]) };
        // Equal to the cursor's time: only the ids after it.
        if (isAfterCursor(e, after)) entries.push(e);
      }
      const pipeline = this.redis.pipeline();
      for (const e of entries) pipeline.hgetall(keys.consultation(orgId, e.id));
      const hashes = entries.length ? ((await pipeline.exec()) ?? []).map(([, h]) => h as Record<string, string>) : [];
      for (let i = 0; i < entries.length; i++) {
        scanned++;
        last = entries[i]!;
        const h = hashes[i]!;
        // (An index entry whose consultation expired a moment ago: the purge job trims it.)
        if (!h.id) continue;
        const record = this.toRecord(orgId, h, retentionMs);
        if (q.status && record.state !== q.status) continue;
        found.push(record);
        if (found.length === q.limit) break scan;
      }
      if (flat.length < 2 * BATCH) {
        exhausted = true;
        break;
      }
    }
    return { consultations: found, nextCursor: exhausted || !last ? null : encodePageCursor(last) };
  }

  /**
   * The purge job: trims the reference indexes whose oldest consultation is past retention (the
   * organization's index is trimmed by score with the others). Answers how many entries went.
   */
  async trimReferences(orgId: string, dueHashes: string[], cutoff: number): Promise<number> {
    let removed = 0;
    for (const hash of dueHashes) {
      removed += await trimConsultationReference.run(this.redis, {
        keys: { references: keys.consultationReferences(orgId), referenceIndex: keys.consultationsByReference(orgId, hash) },
        args: { member: hash, cutoff },
      });
    }
    return removed;
  }

  private prefill(orgId: string, id: string, h: { prefillName?: string; prefillPhone?: string }): { name?: string; phone?: string } {
    const name = this.open(orgId, id, 'prefillName', h.prefillName);
    const phone = this.open(orgId, id, 'prefillPhone', h.prefillPhone);
    return { ...(name ? { name } : {}), ...(phone ? { phone } : {}) };
  }

  private toConsultation(orgId: string, h: Record<string, string>): Consultation {
    const price = h.price ? parsePrice(h.price) : undefined;
    return {
      id: h.id!,
      orgId,
      roomId: h.roomId!,
      professionalId: h.professionalId ?? '',
      createdAt: Number(h.createdAt),
      scheduledAt: h.scheduledAt ? Number(h.scheduledAt) : null,
      ...(price !== undefined ? { price } : {}),
    };
  }

  private toRecord(orgId: string, h: Record<string, string>, retentionMs: number): ConsultationRecord {
    const c = this.toConsultation(orgId, h);
    return {
      ...c,
      state: (h.state as ConsultationStatus) ?? 'scheduled',
      externalReference: this.open(orgId, c.id, 'externalReference', h.externalReference),
      prefill: this.prefill(orgId, c.id, h),
      arrivedAt: numberOr(h.arrivedAt),
      admittedAt: numberOr(h.admittedAt),
      endedAt: numberOr(h.endedAt),
      cancelledAt: numberOr(h.cancelledAt),
      callMs: numberOr(h.callMs),
      expiresAt: Math.max(c.createdAt, c.scheduledAt ?? 0) + retentionMs,
      createdBy: h.createdBy ?? c.professionalId,
      invitation: {
        channels: listOf(h.invitationChannels) as InvitationChannel[],
        ...(isLanguage(h.invitationLanguage) ? { language: h.invitationLanguage } : {}),
        ...(h.smsInvitation === 'sent' || h.smsInvitation === 'failed' ? { sms: h.smsInvitation } : {}),
      },
      cancelledBy: h.cancelledBy || null,
    };
  }
}

/** A stored price: JSON of a price, or `null` (free). Undefined if unreadable. */
function parsePrice(stored: string): RoomPrice | null | undefined {
  try {
    const value: unknown = JSON.parse(stored);
    if (value === null) return null;
    const parsed = roomPrice.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a cursor is one this store made (anything else is a bad request). */
export const validCursor = (cursor: string) => decodePageCursor(cursor) !== null;
