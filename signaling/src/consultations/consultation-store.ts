import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { hashSecret, newId, newSecret, sameHash } from '../ids.ts';

export interface Consultation {
  id: string;
  orgId: string;
  roomId: string;
  /** Who scheduled it. */
  professionalId: string;
  createdAt: number;
  /** Null: any time (the link works as soon as it is sent). */
  scheduledAt: number | null;
}

/**
 * Scheduled consultations: a private link for one visitor, to a room, at a time. The link is
 * `<org>.<consultation>.<secret>` with a 256-bit secret of which only the hash is kept. Its data lives for
 * the organization's retention period from the later of its creation and its scheduled time.
 */
export class ConsultationStore {
  constructor(private readonly redis: Redis) {}

  async create(
    c: { orgId: string; roomId: string; professionalId: string; scheduledAt: number | null },
    retentionMs: number,
    now = Date.now(),
  ): Promise<{ consultation: Consultation; token: string }> {
    const id = newId();
    const secret = newSecret();
    const consultation: Consultation = { id, ...c, createdAt: now };
    const key = keys.consultation(c.orgId, id);
    await this.redis
      .multi()
      .hset(key, {
        id,
        roomId: c.roomId,
        professionalId: c.professionalId,
        createdAt: now,
        scheduledAt: c.scheduledAt ?? '',
        secretHash: hashSecret(secret),
        state: 'scheduled',
      })
      .pexpire(key, retentionMs + Math.max(0, (c.scheduledAt ?? now) - now))
      .exec();
    return { consultation, token: `${c.orgId}.${id}.${secret}` };
  }

  /** The consultation a link is for; null for anything malformed, unknown, expired or not matching. */
  async resolve(token: unknown): Promise<Consultation | null> {
    if (typeof token !== 'string') return null;
    const m = /^([0-9a-f]{32})\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return null;
    const [, orgId, id, secret] = m as unknown as [string, string, string, string];
    const h = await this.redis.hgetall(keys.consultation(orgId, id));
    if (!h.secretHash || !sameHash(h.secretHash, hashSecret(secret)) || h.state === 'cancelled') return null;
    return {
      id,
      orgId,
      roomId: h.roomId!,
      professionalId: h.professionalId!,
      createdAt: Number(h.createdAt),
      scheduledAt: h.scheduledAt ? Number(h.scheduledAt) : null,
    };
  }
}
