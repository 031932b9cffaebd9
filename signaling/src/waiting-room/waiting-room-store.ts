import { queueCardOf } from './queue-card.ts';
import type { Redis } from 'ioredis';
import { accessCodeKey } from '../check-in/access-codes.ts';
import { CHECK_IN_STEPS, detailsOf, type CheckInAnswers, type CheckInDetails, type CheckInStep, type DeviceCheckDetails, type VerifiedIdentity, type WaitingVisitor } from '../../protocol/index.ts';
import type { LineNow } from './queue-place.ts';
import { keys } from '../redis/keys.ts';
import { setIfExists } from '../retention/retained-scripts.ts';
import { admit, admitToCall, denyVisitor, enterWaitingRoom, joinWaitingRoom, leaveWaitingRoom, sendBack, transferVisitor } from './waiting-room-scripts.ts';
import { hashSecret, newId, newSecret, sameHash, tokenParts } from '../ids.ts';
import { fieldContext, type FieldCipher } from '../crypto/field-cipher.ts';
import { AppError, badField, notFound } from '../errors.ts';
import type { Room } from '../organizations/organization-store.ts';

/** `checking_in`: the form is in, but a step the room requires (BankID, payment) is still to do. */
export type VisitorState = 'checking_in' | 'waiting' | 'in_call' | 'left' | 'ended';

/** How long a visitor who is still doing the check-in steps is kept: an abandoned check-in goes soon. */
export const CHECKING_IN_MS = 60 * 60 * 1000;

export interface Visitor {
  id: string;
  orgId: string;
  roomId: string;
  name: string;
  state: VisitorState;
  arrivedAt: number;
  /** When a professional admitted them (to the call they are in now). */
  admittedAt?: number;
  callId?: string;
  /** Whether their connection is up; 'lost' starts the grace period. Unknown until they first connect. */
  presence?: 'online' | 'lost';
  /** Why they left the waiting list, when it was not their own choice. */
  leftReason?: 'connection_lost' | 'denied' | 'cancelled';
  /** What the professional wrote when turning them away. */
  deniedMessage?: string;
  /** A scheduled consultation's time, if they came with its link. */
  appointmentAt?: number;
  /** The scheduled consultation whose link they came with. */
  consultationId?: string;
  /** The public key their browser reads messages with. */
  messageKey?: string;
  /** Their answers to the room's form as the professional reads them (labels as the form had them then). */
  checkIn?: CheckInDetails;
  /** The check-in steps the room required when they checked in (done or not). */
  steps: CheckInStep[];
  /** Whether they identified with BankID. */
  identified: boolean;
  /** What their device check found. */
  deviceCheck?: DeviceCheckDetails;
  /** Who they are as BankID verified it (the national id only where the organization collects it). */
  identity?: VerifiedIdentity;
}

/**
 * Visitors and the waiting lists of rooms. A visitor token is `<org>.<visitor>.<secret>`: the ids route
 * the lookup to the right keys (no global index of visitors), the 256-bit secret is what grants access,
 * and only its hash is stored.
 */
export class WaitingRoomStore {
  /**
   * `identities` reads a visitor's BankID identity from their hash's fields (it decrypts the national id);
   * without it, visitors come without one (background work that never shows them to anyone).
   */
  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
    private readonly identities: (orgId: string, fields: Record<string, string>) => VerifiedIdentity | undefined = () => undefined,
  ) {}

  /** A visitor's personal field as stored: encrypted, bound to this visitor and field. */
  private seal(orgId: string, visitorId: string, field: string, value: string): string {
    return value === '' ? '' : this.cipher.encrypt(value, fieldContext.visitorField(orgId, visitorId, field));
  }

  /** The plaintext, or '' for an empty or unreadable field (another key, or copied from elsewhere). */
  private open(orgId: string, visitorId: string, field: string, stored: string | undefined): string {
    return this.cipher.open(stored, fieldContext.visitorField(orgId, visitorId, field)) ?? '';
  }

  async join(
    room: Room,
    answers: CheckInAnswers,
    now = Date.now(),
    consultation?: { id: string; scheduledAt: number | null },
    steps: CheckInStep[] = [],
    deviceCheck?: DeviceCheckDetails,
  ): Promise<{ visitor: Visitor; visitorToken: string }> {
    const visitorId = newId();
    const secret = newSecret();
    const appointmentAt = consultation?.scheduledAt ?? undefined;
    const pseudonymous = room.checkIn.pseudonymous && answers.accessCode !== undefined;
    // Kept as read on the queue card: a later change of the room's form does not relabel what was answered.
    const checkIn = detailsOf(room.checkIn, answers);
    const codeKey = accessCodeKey(room.orgId, answers.accessCode ?? '');
    // A pseudonymous visitor's name is their code's label (read here to re-seal it for the visitor; the
    // script uses the code up atomically, and refuses one used meanwhile).
    let name = answers.name ?? '';
    if (pseudonymous) {
      const label = this.cipher.open(await this.redis.hget(codeKey, 'label'), fieldContext.accessCodeLabel(room.orgId, codeKey));
      if (label === null) throw badField('accessCode', 'access_code_invalid', 'access_code_invalid');
      name = label;
    }
    let result: Awaited<ReturnType<typeof joinWaitingRoom.run>>;
    for (let attempt = 0; ; attempt++) {
      if (attempt === 20) throw new AppError('link_in_use', 'this link is being used by someone else');
      // With a consultation's link: who came with it last, to check in the script that they are done with it.
      const cameWithLink = consultation ? await this.redis.zrange(keys.consultationVisitors(room.orgId, consultation.id), '0', '-1') : [];
      const visitorIdsRead = cameWithLink.join(',');
      const holder = cameWithLink.at(-1);
      result = await joinWaitingRoom.run(this.redis, {
        keys: {
          org: keys.organization(room.orgId),
          visitor: keys.visitor(room.orgId, visitorId),
          waiting: keys.waiting(room.orgId, room.id),
          room: keys.room(room.orgId, room.id),
          accessCode: codeKey,
          visitors: keys.visitors(room.orgId),
          // Checked again in the script: the link may have been cancelled since it was resolved.
          consultation: consultation ? keys.consultation(room.orgId, consultation.id) : undefined,
          consultationVisitors: consultation ? keys.consultationVisitors(room.orgId, consultation.id) : undefined,
          holder: consultation && holder ? keys.visitor(room.orgId, holder) : undefined,
        },
        args: {
          visitorId,
          roomId: room.id,
          name: this.seal(room.orgId, visitorId, 'name', name),
          tokenHash: hashSecret(secret),
          now,
          consultationId: consultation?.id ?? '',
          appointmentAt: appointmentAt ?? '',
          checkIn: this.seal(room.orgId, visitorId, 'checkIn', JSON.stringify(checkIn)),
          pseudonymous: pseudonymous ? '1' : '0',
          steps: steps.join(','),
          checkingInMs: CHECKING_IN_MS,
          deviceCheck: deviceCheck ? JSON.stringify(deviceCheck) : '',
          visitorIdsRead,
        },
      });
      // (Each retry needs another check-in with this link to land in between.)
      if (result !== 'visitors_changed') break;
    }
    if (result === 'link_in_use') throw new AppError('link_in_use', 'someone is already checked in with this link');
    if (result === 'consultation_closed') throw new AppError('consultation_closed', 'this consultation has ended');
    if (result === 'access_code_invalid') throw badField('accessCode', 'access_code_invalid', 'access_code_invalid');
    if (result !== 'ok') throw notFound('This link is not valid');
    return {
      visitor: {
        id: visitorId,
        orgId: room.orgId,
        roomId: room.id,
        name,
        state: steps.length ? 'checking_in' : 'waiting',
        arrivedAt: now,
        appointmentAt,
        consultationId: consultation?.id,
        checkIn,
        steps,
        identified: false,
        deviceCheck,
      },
      visitorToken: `${room.orgId}.${visitorId}.${secret}`,
    };
  }

  /**
   * A visitor done with the check-in steps enters the line (BankID checked in the script itself; the
   * payment by the caller with the payment provider). `check_in_incomplete` while a step is left.
   */
  async enter(visitor: Visitor, paymentConfirmed: boolean, now = Date.now()): Promise<Visitor> {
    const result = await enterWaitingRoom.run(this.redis, {
      keys: {
        org: keys.organization(visitor.orgId),
        visitor: keys.visitor(visitor.orgId, visitor.id),
        waiting: keys.waiting(visitor.orgId, visitor.roomId),
        // A consultation cancelled while its visitor did the check-in steps takes no one into the line.
        consultation: visitor.consultationId ? keys.consultation(visitor.orgId, visitor.consultationId) : undefined,
      },
      args: { visitorId: visitor.id, now, paymentConfirmed: paymentConfirmed ? '1' : '0' },
    });
    if (result === 'check_in_incomplete') throw new AppError(result, 'a check-in step is not done');
    if (result !== 'ok') throw notWaiting(result);
    return { ...visitor, state: 'waiting', arrivedAt: now };
  }

  /**
   * Corrects what a visitor gave at check-in (their data subject right): the name, and the answers as the
   * card shows them. Sealed again; a visitor gone meanwhile stays gone.
   */
  async correct(visitor: Visitor, change: { name?: string; checkIn?: CheckInDetails }): Promise<void> {
    const key = keys.visitor(visitor.orgId, visitor.id);
    const fields: [string, string][] = [];
    if (change.name !== undefined) fields.push(['name', this.seal(visitor.orgId, visitor.id, 'name', change.name)]);
    if (change.checkIn !== undefined) fields.push(['checkIn', this.seal(visitor.orgId, visitor.id, 'checkIn', JSON.stringify(change.checkIn))]);
    for (const [field, value] of fields) if ((await setIfExists.run(this.redis, { keys: { hash: key }, args: { field, value } })) !== 'ok') throw notFound();
  }

  /** Whose a visitor token says it is, and its secret's hash (to compare with the stored one); null: not a token. */
  static claimOf(token: unknown): { orgId: string; visitorId: string; tokenHash: string } | null {
    if (typeof token !== 'string' || token.length > 200) return null;
    const parts = tokenParts(token);
    if (!parts) return null;
    return { orgId: parts.orgId, visitorId: parts.id, tokenHash: hashSecret(parts.secret) };
  }

  /** The visitor a token belongs to, or null for anything malformed, unknown or not matching. */
  async authenticate(token: unknown): Promise<Visitor | null> {
    const claim = WaitingRoomStore.claimOf(token);
    if (!claim) return null;
    const h = await this.redis.hgetall(keys.visitor(claim.orgId, claim.visitorId));
    if (!h.tokenHash || !sameHash(h.tokenHash, claim.tokenHash)) return null;
    return this.toVisitor(claim.orgId, h);
  }

  async getVisitor(orgId: string, visitorId: string): Promise<Visitor | null> {
    const h = await this.redis.hgetall(keys.visitor(orgId, visitorId));
    return h.visitorId ? this.toVisitor(orgId, h) : null;
  }

  async leave(visitor: Visitor, now = Date.now()): Promise<void> {
    const result = await leaveWaitingRoom.run(this.redis, {
      keys: { visitor: keys.visitor(visitor.orgId, visitor.id), waiting: keys.waiting(visitor.orgId, visitor.roomId), presence: keys.presence(visitor.orgId) },
      args: { visitorId: visitor.id, now },
    });
    if (result !== 'ok') throw new AppError(result === 'not_found' ? 'not_found' : 'not_waiting');
  }

  /**
   * Admits a waiting visitor into a new call (`callId`: the id of a professional's ready call, used once),
   * if the professional may act on their room. Exactly one of two concurrent admits wins. `lineNow`: the
   * room's line after it, for telling the others their new places.
   */
  async admit(
    visitor: Visitor,
    professional: { id: string; role: 'professional' | 'admin' },
    now = Date.now(),
    callId = newId(),
  ): Promise<{ callId: string; lineNow: LineNow }> {
    const { orgId } = visitor;
    const result = await admit.run(this.redis, {
      keys: {
        org: keys.organization(orgId),
        visitor: keys.visitor(orgId, visitor.id),
        waiting: keys.waiting(orgId, visitor.roomId),
        call: keys.call(orgId, callId),
        history: keys.history(orgId, professional.id),
        presence: keys.presence(orgId),
        callMembers: keys.callMembers(orgId, callId),
        roomMembers: keys.roomMembers(orgId, visitor.roomId),
        roomCallLengths: keys.roomCallLengths(orgId, visitor.roomId),
        visitorCalls: keys.visitorCalls(orgId, visitor.id),
        visitorSms: keys.visitorSms(orgId, visitor.id),
      },
      args: { visitorId: visitor.id, callId, professionalId: professional.id, now, roomId: visitor.roomId, role: professional.role },
    });
    if ('refused' in result) throw notWaiting(result.refused);
    return { callId, lineNow: result.admitted };
  }

  /** Admits a waiting visitor into an ongoing call (a group call), if it has room for one more. */
  async admitToCall(visitor: Visitor, callId: string, maxParticipants: number, now = Date.now()): Promise<void> {
    const { orgId } = visitor;
    const result = await admitToCall.run(this.redis, {
      keys: {
        org: keys.organization(orgId),
        visitor: keys.visitor(orgId, visitor.id),
        waiting: keys.waiting(orgId, visitor.roomId),
        call: keys.call(orgId, callId),
        callMembers: keys.callMembers(orgId, callId),
        presence: keys.presence(orgId),
        visitorCalls: keys.visitorCalls(orgId, visitor.id),
        visitorSms: keys.visitorSms(orgId, visitor.id),
      },
      args: { visitorId: visitor.id, callId, now, maxParticipants },
    });
    if (result === 'call_ended' || result === 'call_full') throw new AppError(result);
    if (result !== 'ok') throw notWaiting(result);
  }

  /** Turns a waiting visitor away; the message (if any) is kept for them to read, under the retention TTL. */
  async deny(visitor: Visitor, message: string | undefined, now = Date.now()): Promise<void> {
    const result = await denyVisitor.run(this.redis, {
      keys: { visitor: keys.visitor(visitor.orgId, visitor.id), waiting: keys.waiting(visitor.orgId, visitor.roomId), presence: keys.presence(visitor.orgId) },
      args: { visitorId: visitor.id, now, message: this.seal(visitor.orgId, visitor.id, 'deniedMessage', message ?? '') },
    });
    if (result !== 'ok') throw notWaiting(result);
  }

  /** Moves a waiting visitor to another room of the organization; their place there is by their arrival. */
  async transfer(visitor: Visitor, toRoomId: string, now = Date.now()): Promise<void> {
    const result = await transferVisitor.run(this.redis, {
      keys: {
        org: keys.organization(visitor.orgId),
        visitor: keys.visitor(visitor.orgId, visitor.id),
        fromWaiting: keys.waiting(visitor.orgId, visitor.roomId),
        toWaiting: keys.waiting(visitor.orgId, toRoomId),
      },
      args: { visitorId: visitor.id, toRoomId, now },
    });
    if (result !== 'ok') throw notWaiting(result);
  }

  /**
   * Sends a visitor in the call `callId` back to their room's line, at their first arrival time (so first
   * in line, as before); they leave the call's members. Answers false if they are not in that call.
   */
  async sendBack(visitor: Visitor, callId: string, now = Date.now()): Promise<boolean> {
    const { orgId } = visitor;
    const result = await sendBack.run(this.redis, {
      keys: {
        org: keys.organization(orgId),
        visitor: keys.visitor(orgId, visitor.id),
        waiting: keys.waiting(orgId, visitor.roomId),
        callMembers: keys.callMembers(orgId, callId),
      },
      args: { visitorId: visitor.id, callId, now },
    });
    return result === 'ok';
  }

  /** Visitors waiting in the given rooms, oldest first. Entries whose visitor has expired are dropped. */
  async listWaiting(orgId: string, rooms: Room[], retentionMs: number, now = Date.now()): Promise<WaitingVisitor[]> {
    const result: WaitingVisitor[] = [];
    for (const room of rooms) {
      const key = keys.waiting(orgId, room.id);
      const [, members] = (await this.redis
        .multi()
        .zremrangebyscore(key, '-inf', `(${now - retentionMs}`)
        .zrange(key, '0', '-1')
        .exec())!;
      for (const visitorId of members![1] as string[]) {
        const visitor = await this.getVisitor(orgId, visitorId);
        if (!visitor || visitor.state !== 'waiting') {
          await this.redis.zrem(key, visitorId);
          continue;
        }
        result.push(queueCardOf(visitor, room, { messageKey: true }));
      }
    }
    return result.sort((a, b) => a.arrivedAt - b.arrivedAt);
  }

  private toVisitor(orgId: string, h: Record<string, string>): Visitor {
    const visitorId = h.visitorId!;
    const checkIn = this.open(orgId, visitorId, 'checkIn', h.checkIn);
    return {
      id: visitorId,
      orgId,
      roomId: h.roomId!,
      name: this.open(orgId, visitorId, 'name', h.name),
      state: h.state as VisitorState,
      arrivedAt: Number(h.arrivedAt),
      admittedAt: h.admittedAt ? Number(h.admittedAt) : undefined,
      callId: h.callId || undefined,
      presence: h.presence === 'online' || h.presence === 'lost' ? h.presence : undefined,
      messageKey: h.messageKey || undefined,
      checkIn: checkIn ? (JSON.parse(checkIn) as CheckInDetails) : undefined,
      leftReason: h.leftReason === 'connection_lost' || h.leftReason === 'denied' || h.leftReason === 'cancelled' ? h.leftReason : undefined,
      deniedMessage: this.open(orgId, visitorId, 'deniedMessage', h.deniedMessage) || undefined,
      appointmentAt: h.appointmentAt ? Number(h.appointmentAt) : undefined,
      consultationId: h.consultationId || undefined,
      steps: CHECK_IN_STEPS.filter((step) => h.steps?.split(',').includes(step)),
      identified: !!h.bankId,
      identity: this.identities(orgId, h),
      deviceCheck: h.deviceCheck ? (JSON.parse(h.deviceCheck) as DeviceCheckDetails) : undefined,
    };
  }
}


/** A script's refusal to act on a visitor, as the caller hears it. */
const notWaiting = (result: string) => new AppError(result === 'not_found' || result === 'already_admitted' ? result : 'not_waiting');
