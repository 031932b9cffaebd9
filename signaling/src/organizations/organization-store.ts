import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { newId } from '../ids.ts';

export interface Organization {
  id: string;
  name: string;
  retentionDays: number;
}

export interface Professional {
  id: string;
  orgId: string;
  name: string;
  email: string;
  passwordHash: string;
}

export interface Room {
  id: string;
  orgId: string;
  slug: string;
  name: string;
  professionalId: string;
}

export const DEFAULT_RETENTION_DAYS = 90;

/** Organizations, their professionals and rooms: records kept until deleted (no TTL). */
export class OrganizationStore {
  constructor(private readonly redis: Redis) {}

  async isEmpty(): Promise<boolean> {
    return (await this.redis.scard(keys.organizations())) === 0;
  }

  async createOrganization(name: string, retentionDays = DEFAULT_RETENTION_DAYS): Promise<Organization> {
    if (!Number.isInteger(retentionDays) || retentionDays < 1) throw new Error('retention must be at least 1 day');
    const id = newId();
    await this.redis
      .multi()
      .hset(keys.organization(id), { id, name, retentionDays, createdAt: Date.now() })
      .sadd(keys.organizations(), id)
      .exec();
    return { id, name, retentionDays };
  }

  async getOrganization(orgId: string): Promise<Organization | null> {
    const h = await this.redis.hgetall(keys.organization(orgId));
    if (!h.id) return null;
    return { id: h.id, name: h.name ?? '', retentionDays: Number(h.retentionDays) };
  }

  async createProfessional(orgId: string, p: { name: string; email: string; passwordHash: string }): Promise<Professional> {
    const id = newId();
    const claimed = await this.redis.set(keys.professionalByEmail(p.email), `${orgId}:${id}`, 'NX');
    if (claimed !== 'OK') throw new Error('e-mail already in use');
    await this.redis.hset(keys.professional(orgId, id), { id, orgId, ...p });
    return { id, orgId, ...p };
  }

  async getProfessional(orgId: string, proId: string): Promise<Professional | null> {
    const h = await this.redis.hgetall(keys.professional(orgId, proId));
    if (!h.id) return null;
    return { id: h.id, orgId, name: h.name ?? '', email: h.email ?? '', passwordHash: h.passwordHash ?? '' };
  }

  async findProfessionalByEmail(email: string): Promise<Professional | null> {
    const ref = await this.redis.get(keys.professionalByEmail(email));
    if (!ref) return null;
    const [orgId, proId] = ref.split(':');
    return this.getProfessional(orgId!, proId!);
  }

  async createRoom(orgId: string, r: { slug: string; name: string; professionalId: string }): Promise<Room> {
    const id = newId();
    const claimed = await this.redis.set(keys.roomBySlug(r.slug), `${orgId}:${id}`, 'NX');
    if (claimed !== 'OK') throw new Error('room link already in use');
    await this.redis
      .multi()
      .hset(keys.room(orgId, id), { id, orgId, ...r })
      .sadd(keys.rooms(orgId), id)
      .exec();
    return { id, orgId, ...r };
  }

  async getRoom(orgId: string, roomId: string): Promise<Room | null> {
    const h = await this.redis.hgetall(keys.room(orgId, roomId));
    if (!h.id) return null;
    return { id: h.id, orgId, slug: h.slug ?? '', name: h.name ?? '', professionalId: h.professionalId ?? '' };
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
    await this.redis.multi().del(keys.room(orgId, roomId)).srem(keys.rooms(orgId), roomId).del(keys.roomBySlug(room.slug)).exec();
  }
}
