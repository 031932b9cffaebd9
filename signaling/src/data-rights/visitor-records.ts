import type { VisitorCorrection, VisitorExport, VisitorMatch } from '../../protocol/index.ts';
import type { SmsAlerts } from '../alerts/sms-alerts.ts';
import { notFound } from '../errors.ts';
import { keys } from '../redis/keys.ts';
import { readNationalId } from '../bankid/visitor-identity.ts';
import type { Services } from '../services.ts';
import { socketRooms } from '../socket/types.ts';
import { ErasureLedger } from '../backup/erasure-ledger.ts';
import { markRewriteDue } from '../backup/redis-files.ts';
import { forgetConsultationEmails } from '../email/email-outbox.ts';

/** How many visitors a search reads at most (newest first), and how many it answers. */
const SEARCH_SCAN = 5_000;
const SEARCH_RESULTS = 50;

/**
 * What an organization holds about one visitor, for their data subject rights: found by name, phone,
 * birth date or id (names are encrypted at rest, so a search reads the organization's recent visitors
 * rather than an index of names), exported whole, corrected, or erased everywhere at once.
 */
export class VisitorRecords {
  constructor(
    private readonly s: Services,
    /** (Also what an invitee's erasure deletes Twilio's copies with.) */
    readonly sms: SmsAlerts,
  ) {}

  async find(orgId: string, query: string): Promise<VisitorMatch[]> {
    const q = query.toLowerCase();
    const digits = q.replace(/\D/g, '');
    const ids = /^[0-9a-f]{32}$/.test(q) ? [q] : await this.s.redis.zrevrange(keys.visitors(orgId), 0, SEARCH_SCAN - 1);
    const rooms = new Map((await this.s.organizations.listRooms(orgId)).map((r) => [r.id, r.name]));
    const matches: VisitorMatch[] = [];
    for (let i = 0; i < ids.length && matches.length < SEARCH_RESULTS; i += 100) {
      const visitors = await Promise.all(ids.slice(i, i + 100).map((id) => this.s.waitingRoom.getVisitor(orgId, id)));
      for (const v of visitors) {
        if (!v) continue;
        const said = [v.name, v.identity?.name ?? '', v.checkIn?.birthDate ?? '', v.identity?.birthDate ?? ''].map((x) => x.toLowerCase());
        const phoneDigits = (v.checkIn?.phone ?? '').replace(/\D/g, '');
        const hit = v.id === q || said.some((x) => x.includes(q)) || (digits.length >= 4 && phoneDigits.includes(digits));
        if (hit) matches.push({ visitorId: v.id, name: v.name, arrivedAt: v.arrivedAt, roomName: rooms.get(v.roomId) ?? '', state: v.state });
      }
    }
    return matches.slice(0, SEARCH_RESULTS);
  }

  async export(orgId: string, visitorId: string, now = Date.now()): Promise<VisitorExport> {
    const visitor = await this.s.waitingRoom.getVisitor(orgId, visitorId);
    if (!visitor) throw notFound('no such visitor');
    const [raw, callIds, smsRecords, room, messages, payment] = await Promise.all([
      this.s.redis.hmget(keys.visitor(orgId, visitorId), 'admittedAt', 'leftAt', 'visitorId', 'nationalId'),
      this.s.redis.smembers(keys.visitorCalls(orgId, visitorId)),
      this.s.redis.scard(keys.visitorSms(orgId, visitorId)),
      this.s.organizations.getRoom(orgId, visitor.roomId),
      this.s.redis.llen(keys.visitorMessages(orgId, visitorId)),
      this.s.redis.hmget(keys.payment(orgId, visitorId), 'amount', 'currency', 'status', 'intentId'),
    ]);
    const [admittedAt, leftAt, storedId, storedNationalId] = raw;
    const nationalId = visitor.identity?.hasNationalId ? readNationalId(this.s, orgId, { visitorId: storedId ?? undefined, nationalId: storedNationalId ?? undefined }) : null;
    const calls = [];
    // (A set has no order: the calls in the order they began.)
    const found = (await Promise.all(callIds.map((callId) => this.s.calls.get(orgId, callId)))).filter((c) => c !== null).sort((a, b) => a.startedAt - b.startedAt);
    for (const call of found) {
      const technical = await this.s.redis.lrange(keys.callTechnicalData(orgId, call.id), 0, -1);
      calls.push({ callId: call.id, startedAt: call.startedAt, ...(call.endedAt ? { endedAt: call.endedAt } : {}), technicalData: technical.map((t) => JSON.parse(t) as unknown) });
    }
    return {
      exportedAt: now,
      organizationId: orgId,
      visitor: {
        visitorId,
        name: visitor.name,
        state: visitor.state,
        room: room?.name ?? '',
        arrivedAt: visitor.arrivedAt,
        ...(admittedAt ? { admittedAt: Number(admittedAt) } : {}),
        ...(leftAt ? { leftAt: Number(leftAt) } : {}),
        ...(visitor.appointmentAt ? { appointmentAt: visitor.appointmentAt } : {}),
        ...(visitor.checkIn ? { checkIn: visitor.checkIn } : {}),
        ...(visitor.identity ? { identity: { ...visitor.identity, ...(nationalId ? { nationalId } : {}) } } : {}),
        ...(visitor.deviceCheck ? { deviceCheck: visitor.deviceCheck } : {}),
        ...(visitor.deniedMessage ? { deniedMessage: visitor.deniedMessage } : {}),
      },
      calls,
      messages: { count: messages, note: 'Messages are encrypted in the browser to the keys the server lists for the room’s professionals; the server stores only the encrypted text.' },
      ...(payment[0] ? { payment: { amount: Number(payment[0]), currency: payment[1]!, status: payment[2]!, reference: payment[3] ?? '' } } : {}),
      smsRecords,
      notes: [
        'Calls are never recorded: no sound, picture or chat of a call is kept anywhere.',
        'Payment records for bookkeeping (amount, currency, date, payment reference; no name) are kept as the law requires.',
        'The audit log records who acted on this visitor, by an opaque id only.',
      ],
    };
  }

  async correct(orgId: string, visitorId: string, change: VisitorCorrection): Promise<void> {
    const visitor = await this.s.waitingRoom.getVisitor(orgId, visitorId);
    if (!visitor) throw notFound('no such visitor');
    const { name, ...answers } = change;
    const checkIn = Object.keys(answers).length ? { custom: [], ...visitor.checkIn, ...answers } : undefined;
    await this.s.waitingRoom.correct(visitor, { ...(name !== undefined ? { name } : {}), ...(checkIn ? { checkIn } : {}) });
  }

  /**
   * Erases a visitor at once: their record, messages and payment link, every index entry and call member
   * naming them, their sockets, and the SMS records at Twilio. An uncaptured card authorization is
   * released first; the bookkeeping record of a payment (no name, no visitor) stays, as the law requires.
   */
  async erase(orgId: string, visitorId: string): Promise<void> {
    const key = keys.visitor(orgId, visitorId);
    const [[roomId, consultationId], smsIds] = await Promise.all([this.s.redis.hmget(key, 'roomId', 'consultationId'), this.s.redis.smembers(keys.visitorSms(orgId, visitorId))]);
    if (!roomId) throw notFound('no such visitor');
    // Their consultation's invitation SMS (sent through the API) goes too.
    const invitationSms = consultationId ? await this.s.redis.smembers(keys.consultationSms(orgId, consultationId)) : [];
    if (this.s.payments.available && (await this.s.redis.exists(keys.payment(orgId, visitorId)))) {
      await this.s.payments.settleVisit(orgId, visitorId, { admitted: false }).catch((err: Error) => {
        // Erasure goes on: the hold, if any, lapses at Stripe within 7 days.
        this.s.log.warn({ orgId, err: err.message }, 'erasure: could not release a card authorization');
      });
    }
    this.s.notify.visitors.in(socketRooms.visitor(orgId, visitorId)).disconnectSockets(true);
    await this.sms.forgetMessages([...smsIds, ...invitationSms]);
    await eraseVisitorRecords(this.s, orgId, visitorId);
    this.s.notify.visitorRemoved(orgId, { visitorId, roomId, reason: 'left' });
  }
}

/**
 * What an erasure does in Redis, also run by a restore for the visitors erased since its snapshot: the
 * visitor's record, messages and payment link, every index entry and call member naming them, what their
 * consultation, its e-mails and webhook deliveries held of them. The erasure ledger records it (a keyed hash of the id),
 * and Redis's own files are rewritten soon after (the purge job), so the erased data leaves them too.
 */
export async function eraseVisitorRecords(s: Pick<Services, 'redis' | 'config' | 'consultations' | 'webhooks'>, orgId: string, visitorId: string, now = Date.now()): Promise<void> {
  const key = keys.visitor(orgId, visitorId);
  const [[roomId, consultationId], callIds] = await Promise.all([s.redis.hmget(key, 'roomId', 'consultationId'), s.redis.smembers(keys.visitorCalls(orgId, visitorId))]);
  const ledger = new ErasureLedger(s.config.ADDRESS_HASH_KEY, s.config.BACKUP_KEEP_DAYS);
  const tx = s.redis
    .multi()
    .del(key, keys.visitorMessages(orgId, visitorId), keys.payment(orgId, visitorId), keys.visitorCalls(orgId, visitorId), keys.visitorSms(orgId, visitorId))
    .zrem(keys.presence(orgId), visitorId)
    .zrem(keys.visitors(orgId), visitorId)
    .zrem(keys.unsettledPayments(orgId), visitorId);
  if (roomId) tx.zrem(keys.waiting(orgId, roomId), visitorId);
  for (const callId of callIds) {
    tx.srem(keys.callMembers(orgId, callId), `visitor:${visitorId}`);
    // The call stays in the professional's history (it took place), naming no one.
    tx.hset(keys.call(orgId, callId), 'visitorId', 'erased');
  }
  ledger.record(tx, [ledger.visitorEntry(orgId, visitorId)], now);
  markRewriteDue(tx, now);
  await tx.exec();
  // The consultation stays (its EHR made it and tracks its state) but forgets who came; the webhook
  // deliveries about them (sealed, naming them) go.
  if (consultationId) await s.consultations.forgetVisitor(orgId, consultationId, visitorId);
  // The e-mails to them (their address, their link) and the records of what became of those go too.
  if (consultationId) await forgetConsultationEmails(s.redis, orgId, consultationId);
  await s.webhooks.store.forgetVisitor(orgId, visitorId);
  // (HSET on a call that expired meanwhile would make a record without TTL.)
  for (const callId of callIds) if ((await s.redis.pttl(keys.call(orgId, callId))) === -1) await s.redis.del(keys.call(orgId, callId));
}

