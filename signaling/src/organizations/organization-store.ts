import { createHmac } from 'node:crypto';
import { fieldContext, type FieldCipher } from '../crypto/field-cipher.ts';
import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { newId } from '../ids.ts';
import { ShortCache } from './short-cache.ts';
import {
  checkInConfig,
  DEFAULT_BOOKKEEPING_YEARS,
  DEFAULT_CHECK_IN,
  DEFAULT_REMINDER_MINUTES,
  DEFAULT_TIME_ZONE,
  roomPrice,
  type CheckInConfig,
  type OrganizationSettings,
  type RoomPrice,
} from '../../protocol/index.ts';

/** A room's stored form, or the default one (a room made before forms existed, or a record that no longer parses). */
function storedCheckIn(json: string | undefined): CheckInConfig {
  if (!json) return DEFAULT_CHECK_IN;
  const parsed = checkInConfig.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : DEFAULT_CHECK_IN;
}

/** A room's stored price; a record that no longer parses counts as no price (nothing is charged). */
function storedPrice(json: string | undefined): RoomPrice | null {
  if (!json) return null;
  const parsed = roomPrice.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : null;
}

export interface Organization extends OrganizationSettings {
  id: string;
  name: string;
  /** The retention as applied (ms): days as the admin set them, or a test's seconds. */
  retentionMs: number;
}

/** How long an organization keeps data about visitors and calls, in ms (0 for an unknown organization). */
export const retentionMsOf = (org: Pick<Organization, 'retentionMs'> | null): number => org?.retentionMs ?? 0;

const DAY_MS = 86_400_000;

/**
 * The retention (ms) from an organization hash's fields: `retentionMs`, or for a hash written before it
 * existed its days (0 when neither is there). The scripts' twin is RETENTION_MS_OF in redis/retention-lua.ts.
 */
export const retentionMsOfFields = (ms: string | null | undefined, days: string | null | undefined): number => Number(ms) || Number(days) * DAY_MS || 0;

/** A retention as it is set: days (what admins choose), or seconds where a test server allows it. */
export type Retention = { days: number } | { seconds: number };

/** The fields an organization's hash keeps its retention in: ms for the scripts, days for people. */
function retentionFields(retention: Retention): { retentionMs: number; retentionDays: number } {
  return 'days' in retention
    ? { retentionMs: retention.days * DAY_MS, retentionDays: retention.days }
    : { retentionMs: retention.seconds * 1000, retentionDays: Math.max(1, Math.ceil((retention.seconds * 1000) / DAY_MS)) };
}

/** Until an admin writes their own (in the organization's language). */
export const DEFAULT_QUICK_REPLIES = ['I’m running about 10 minutes late.', 'I’ll be with you shortly.'];

/** A member of an organization: professionals act on their own rooms; admins see all and manage the organization. */
export type MemberRole = 'professional' | 'admin';

export interface Professional {
  id: string;
  orgId: string;
  name: string;
  email: string;
  passwordHash: string;
  role: MemberRole;
  /** An admin reset the password: the member must choose a new one before doing anything else. */
  mustChangePassword?: boolean;
}

/** A professional's own room (one member), or a shared room such as "Clinic reception" (chosen members). */
export type RoomKind = 'personal' | 'shared';

export interface Room {
  id: string;
  orgId: string;
  slug: string;
  name: string;
  kind: RoomKind;
  /** The owner of a personal room; empty for a shared one. */
  professionalId: string;
  /** What the room asks of visitors before they wait. */
  checkIn: CheckInConfig;
  /** What a consultation costs, paid by card before waiting; null: free. */
  price: RoomPrice | null;
}

export const DEFAULT_RETENTION_DAYS = 90;

/**
 * How long a room's name and link, as shown to visitors, may be read from this process's memory: a rename
 * shows to new visitors within this; a deleted room takes no one at once (the join script checks).
 */
const RECENT_MS = 30_000;

/** Organizations, their professionals and rooms: records kept until deleted (no TTL). */
export class OrganizationStore {
  private readonly recentRooms = new ShortCache<Room | null>(RECENT_MS);
  private readonly recentDisplay = new ShortCache<{ roomName: string; professionalName: string } | null>(RECENT_MS);

  /**
   * `cipher` seals members' names and e-mail addresses at rest; `lookupKey` keys the hash by which a login
   * finds an e-mail address (the index holds no address in clear).
   */
  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
    private readonly lookupKey: string,
  ) {}

  /** The key of the login index entry for an e-mail address (a keyed hash of it). */
  emailIndexKey(email: string): string {
    return keys.professionalByEmail(createHmac('sha256', this.lookupKey).update(`member-email:${email}`).digest('base64url'));
  }

  private sealMember(orgId: string, proId: string, field: 'name' | 'email', value: string): string {
    return this.cipher.encrypt(value, fieldContext.professionalField(orgId, proId, field));
  }

  private openMember(orgId: string, proId: string, field: 'name' | 'email', stored: string | undefined): string {
    return this.cipher.open(stored, fieldContext.professionalField(orgId, proId, field)) ?? '';
  }

  async isEmpty(): Promise<boolean> {
    return (await this.redis.scard(keys.organizations())) === 0;
  }

  /** `retention`: callers check it against what the server allows (a test's seconds only on a test server). */
  async createOrganization(name: string, retention: Retention = { days: DEFAULT_RETENTION_DAYS }): Promise<Organization> {
    const fields = retentionFields(retention);
    if (!Number.isInteger(fields.retentionMs) || fields.retentionMs < 1000) throw new Error('retention must be a whole number of seconds or days');
    const id = newId();
    await this.redis
      .multi()
      .hset(keys.organization(id), { id, name, ...fields, createdAt: Date.now() })
      .sadd(keys.organizations(), id)
      .exec();
    return { id, name, ...fields, visitorScreenShare: false, quickReplies: DEFAULT_QUICK_REPLIES, bookkeepingYears: DEFAULT_BOOKKEEPING_YEARS, privacyContact: null, timeZone: DEFAULT_TIME_ZONE, reminderMinutes: DEFAULT_REMINDER_MINUTES };
  }

  /** Sets the retention; answers the one it replaces (ms), so a shortening can be applied to what is kept. */
  async setRetention(orgId: string, retention: Retention): Promise<number> {
    const fields = retentionFields(retention);
    const [[, before]] = (await this.redis.multi().hget(keys.organization(orgId), 'retentionMs').hset(keys.organization(orgId), fields).exec()) as [[null, string | null], unknown];
    return Number(before) || 0;
  }

  async updateSettings(orgId: string, change: Partial<OrganizationSettings>): Promise<void> {
    const fields: Record<string, string> = {};
    if (change.visitorScreenShare !== undefined) fields.visitorScreenShare = change.visitorScreenShare ? '1' : '0';
    if (change.quickReplies !== undefined) fields.quickReplies = JSON.stringify(change.quickReplies);
    if (change.bookkeepingYears !== undefined) fields.bookkeepingYears = String(change.bookkeepingYears);
    if (change.privacyContact) fields.privacyContact = change.privacyContact;
    if (change.timeZone !== undefined) fields.timeZone = change.timeZone;
    if (change.reminderMinutes !== undefined) fields.reminderMinutes = JSON.stringify(change.reminderMinutes);
    const tx = this.redis.multi();
    if (change.privacyContact === null) tx.hdel(keys.organization(orgId), 'privacyContact');
    if (Object.keys(fields).length) tx.hset(keys.organization(orgId), fields);
    await tx.exec();
  }

  async getOrganization(orgId: string): Promise<Organization | null> {
    const h = await this.redis.hgetall(keys.organization(orgId));
    if (!h.id) return null;
    return {
      id: h.id,
      name: h.name ?? '',
      retentionDays: Number(h.retentionDays),
      retentionMs: retentionMsOfFields(h.retentionMs, h.retentionDays),
      visitorScreenShare: h.visitorScreenShare === '1',
      quickReplies: h.quickReplies ? (JSON.parse(h.quickReplies) as string[]) : DEFAULT_QUICK_REPLIES,
      bookkeepingYears: Number(h.bookkeepingYears) || DEFAULT_BOOKKEEPING_YEARS,
      privacyContact: h.privacyContact || null,
      timeZone: h.timeZone || DEFAULT_TIME_ZONE,
      reminderMinutes: h.reminderMinutes ? (JSON.parse(h.reminderMinutes) as number[]) : DEFAULT_REMINDER_MINUTES,
    };
  }

  async createProfessional(orgId: string, p: { name: string; email: string; passwordHash: string; role?: MemberRole }): Promise<Professional> {
    const id = newId();
    const claimed = await this.redis.set(this.emailIndexKey(p.email), `${orgId}:${id}`, 'NX');
    if (claimed !== 'OK') throw new Error('e-mail already in use');
    const pro: Professional = { id, orgId, ...p, role: p.role ?? 'professional' };
    const stored = { ...pro, name: this.sealMember(orgId, id, 'name', p.name), email: this.sealMember(orgId, id, 'email', p.email) };
    await this.redis.multi().hset(keys.professional(orgId, id), stored).sadd(keys.professionals(orgId), id).exec();
    return pro;
  }

  async listProfessionals(orgId: string): Promise<Professional[]> {
    const ids = await this.redis.smembers(keys.professionals(orgId));
    const pros = await Promise.all(ids.map((id) => this.getProfessional(orgId, id)));
    return pros.filter((p): p is Professional => p !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A new password hash; `mustChange` when an admin reset it (the member chooses their own at next login). */
  async setPassword(orgId: string, proId: string, passwordHash: string, mustChange: boolean): Promise<void> {
    await this.redis.hset(keys.professional(orgId, proId), { passwordHash, mustChangePassword: mustChange ? '1' : '0' });
  }

  /**
   * Removes a member: their record, e-mail, personal rooms (their links stop working) and their place in
   * shared rooms. Their sessions are ended by the caller.
   */
  async removeProfessional(orgId: string, proId: string): Promise<void> {
    const pro = await this.getProfessional(orgId, proId);
    if (!pro) return;
    const rooms = await this.listRooms(orgId);
    for (const room of rooms) {
      if (room.kind === 'personal' && room.professionalId === proId) await this.deleteRoom(orgId, room.id);
      else await this.redis.srem(keys.roomMembers(orgId, room.id), proId);
    }
    await this.redis
      .multi()
      .del(keys.professional(orgId, proId), keys.recoveryCodes(orgId, proId))
      .srem(keys.professionals(orgId), proId)
      .del(this.emailIndexKey(pro.email))
      .exec();
  }

  async renameRoom(orgId: string, roomId: string, name: string): Promise<void> {
    await this.redis.hset(keys.room(orgId, roomId), 'name', name);
    this.recentDisplay.forget(`${orgId}:${roomId}`);
  }

  /** Replaces a shared room's members; returns who was added and who was removed. */
  async setRoomMembers(orgId: string, roomId: string, members: string[]): Promise<{ added: string[]; removed: string[] }> {
    const before = new Set(await this.roomMembers(orgId, roomId));
    const after = new Set(members);
    const added = [...after].filter((m) => !before.has(m));
    const removed = [...before].filter((m) => !after.has(m));
    const tx = this.redis.multi();
    if (added.length) tx.sadd(keys.roomMembers(orgId, roomId), ...added);
    if (removed.length) tx.srem(keys.roomMembers(orgId, roomId), ...removed);
    await tx.exec();
    return { added, removed };
  }

  /** A free link for a new room, readable: from its name, with a short suffix only if that is taken. */
  async freeSlugFor(name: string): Promise<string> {
    const base =
      name
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/æ/g, 'ae')
        .replace(/ø/g, 'o')
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 48) || 'room';
    if (!(await this.redis.exists(keys.roomBySlug(base)))) return base;
    for (;;) {
      const candidate = `${base}-${newId().slice(0, 4)}`;
      if (!(await this.redis.exists(keys.roomBySlug(candidate)))) return candidate;
    }
  }

  async getProfessional(orgId: string, proId: string): Promise<Professional | null> {
    const h = await this.redis.hgetall(keys.professional(orgId, proId));
    if (!h.id) return null;
    const role: MemberRole = h.role === 'admin' ? 'admin' : 'professional';
    return {
      id: h.id,
      orgId,
      name: this.openMember(orgId, h.id, 'name', h.name),
      email: this.openMember(orgId, h.id, 'email', h.email),
      passwordHash: h.passwordHash ?? '',
      role,
      mustChangePassword: h.mustChangePassword === '1',
    };
  }

  async findProfessionalByEmail(email: string): Promise<Professional | null> {
    const ref = await this.redis.get(this.emailIndexKey(email));
    if (!ref) return null;
    const [orgId, proId] = ref.split(':');
    return this.getProfessional(orgId!, proId!);
  }

  /**
   * A personal room belongs to `professionalId` (its only member); a shared room has the `members` given
   * (more can be chosen later).
   */
  async createRoom(
    orgId: string,
    r: { slug: string; name: string } & ({ kind?: 'personal'; professionalId: string } | { kind: 'shared'; members?: string[] }),
  ): Promise<Room> {
    const id = newId();
    const claimed = await this.redis.set(keys.roomBySlug(r.slug), `${orgId}:${id}`, 'NX');
    if (claimed !== 'OK') throw new Error('room link already in use');
    const room: Room =
      r.kind === 'shared'
        ? { id, orgId, slug: r.slug, name: r.name, kind: 'shared', professionalId: '', checkIn: DEFAULT_CHECK_IN, price: null }
        : { id, orgId, slug: r.slug, name: r.name, kind: 'personal', professionalId: r.professionalId, checkIn: DEFAULT_CHECK_IN, price: null };
    const members = r.kind === 'shared' ? (r.members ?? []) : [r.professionalId];
    const { checkIn, price: _free, ...record } = room;
    const tx = this.redis.multi().hset(keys.room(orgId, id), { ...record, checkIn: JSON.stringify(checkIn) }).sadd(keys.rooms(orgId), id);
    if (members.length) tx.sadd(keys.roomMembers(orgId, id), ...members);
    await tx.exec();
    return room;
  }

  async getRoom(orgId: string, roomId: string): Promise<Room | null> {
    const h = await this.redis.hgetall(keys.room(orgId, roomId));
    if (!h.id) return null;
    return {
      id: h.id,
      orgId,
      slug: h.slug ?? '',
      name: h.name ?? '',
      kind: h.kind === 'shared' ? 'shared' : 'personal',
      professionalId: h.professionalId ?? '',
      checkIn: storedCheckIn(h.checkIn),
      price: storedPrice(h.price),
    };
  }

  /** Sets (or with null removes) a room's price. Visitors who paid already keep the amount they were charged. */
  async setPrice(orgId: string, roomId: string, price: RoomPrice | null): Promise<void> {
    if (price) await this.redis.hset(keys.room(orgId, roomId), 'price', JSON.stringify(price));
    else await this.redis.hdel(keys.room(orgId, roomId), 'price');
    this.recentRooms.forget((await this.getRoom(orgId, roomId))?.slug ?? '');
  }

  /** Replaces a room's check-in form. Visitors already waiting keep the answers they gave. */
  async setCheckIn(orgId: string, roomId: string, config: CheckInConfig): Promise<void> {
    await this.redis.hset(keys.room(orgId, roomId), 'checkIn', JSON.stringify(config));
    this.recentRooms.forget((await this.getRoom(orgId, roomId))?.slug ?? '');
  }

  /** The professionals who belong to a room. */
  async roomMembers(orgId: string, roomId: string): Promise<string[]> {
    return this.redis.smembers(keys.roomMembers(orgId, roomId));
  }

  /** The rooms a member sees and acts on: need to know, so a professional only their own; an admin all. */
  async roomsOf(pro: Pick<Professional, 'orgId' | 'id' | 'role'>): Promise<Room[]> {
    const rooms = await this.listRooms(pro.orgId);
    if (pro.role === 'admin') return rooms;
    const member = await Promise.all(rooms.map((r) => this.redis.sismember(keys.roomMembers(pro.orgId, r.id), pro.id)));
    return rooms.filter((_, i) => member[i] === 1);
  }

  /** Whether the member may see and act on the room (admins: every room of their organization). */
  async mayActOn(pro: Pick<Professional, 'orgId' | 'id' | 'role'>, roomId: string): Promise<boolean> {
    if (pro.role === 'admin') return (await this.redis.sismember(keys.rooms(pro.orgId), roomId)) === 1;
    return (await this.redis.sismember(keys.roomMembers(pro.orgId, roomId), pro.id)) === 1;
  }

  /** Who the visitor is told is expecting them: the professional of a personal room, or the shared room itself. */
  async hostNameOf(room: Room): Promise<string> {
    if (room.kind === 'shared') return room.name;
    return (await this.getProfessional(room.orgId, room.professionalId))?.name ?? room.name;
  }

  /**
   * A room by its link, as recently read (a few seconds): for check-in, whose script then checks that the
   * room still exists. Renames show within RECENT_MS; a deleted room's link fails at once all the same.
   */
  findRoomBySlugRecent(slug: string): Promise<Room | null> {
    return this.recentRooms.get(slug, () => this.findRoomBySlug(slug));
  }

  /** What a visitor is told of their room: its name and who expects them, as recently read. */
  roomDisplay(orgId: string, roomId: string): Promise<{ roomName: string; professionalName: string } | null> {
    return this.recentDisplay.get(`${orgId}:${roomId}`, async () => {
      const room = await this.getRoom(orgId, roomId);
      return room && { roomName: room.name, professionalName: await this.hostNameOf(room) };
    });
  }

  /** The zone the organization's times are shown in. */
  async timeZoneOf(orgId: string): Promise<string> {
    return (await this.redis.hget(keys.organization(orgId), 'timeZone')) || DEFAULT_TIME_ZONE;
  }

  async findRoomBySlug(slug: string): Promise<Room | null> {
    const ref = await this.redis.get(keys.roomBySlug(slug));
    if (!ref) return null;
    const [orgId, roomId] = ref.split(':');
    return this.getRoom(orgId!, roomId!);
  }

  async listRooms(orgId: string): Promise<Room[]> {
    const ids = await this.redis.smembers(keys.rooms(orgId));
    const rooms = await Promise.all(ids.map((id) => this.getRoom(orgId, id)));
    return rooms.filter((r): r is Room => r !== null);
  }

  /** Deleting a room frees its link; the link then answers exactly like one that never existed. */
  async deleteRoom(orgId: string, roomId: string): Promise<void> {
    const room = await this.getRoom(orgId, roomId);
    if (!room) return;
    this.recentRooms.forget(room.slug);
    this.recentDisplay.forget(`${orgId}:${roomId}`);
    await this.redis
      .multi()
      .del(keys.room(orgId, roomId), keys.roomMembers(orgId, roomId))
      .srem(keys.rooms(orgId), roomId)
      .del(keys.roomBySlug(room.slug))
      .exec();
  }
}
