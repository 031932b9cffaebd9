import type { QueuePlace } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';
import { socketRooms } from '../socket/types.ts';
import type { Visitor } from './waiting-room-store.ts';

/** How many recent call lengths per room the estimate is made from. */
const LENGTHS_KEPT = 20;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * A waiting visitor's place in their room's line and an estimate of the wait: the place times the median
 * of the room's recent call lengths, shared by the room's professionals. It says nothing about the others
 * waiting but how many are ahead.
 */
export async function placeOf(s: Services, visitor: Pick<Visitor, 'orgId' | 'id' | 'roomId'>): Promise<QueuePlace | null> {
  const [rank, lengths, members] = await Promise.all([
    s.redis.zrank(keys.waiting(visitor.orgId, visitor.roomId), visitor.id),
    s.redis.lrange(keys.roomCallLengths(visitor.orgId, visitor.roomId), 0, -1),
    s.organizations.roomMembers(visitor.orgId, visitor.roomId),
  ]);
  if (rank === null) return null;
  const position = rank + 1;
  if (lengths.length === 0) return { position, estimatedMinutes: null };
  const perPerson = median(lengths.map(Number)) / Math.max(1, members.length);
  return { position, estimatedMinutes: Math.max(1, Math.ceil((position * perPerson) / 60_000)) };
}

/** Someone left a room's line (admitted, gone, dropped): everyone behind them hears their new place. */
export async function announcePlaces(s: Services, orgId: string, roomId: string): Promise<void> {
  const waiting = await s.redis.zrange(keys.waiting(orgId, roomId), '0', '-1');
  for (const visitorId of waiting) {
    const place = await placeOf(s, { orgId, id: visitorId, roomId });
    if (place) s.notify.visitors.to(socketRooms.visitor(visitorId)).emit('visit:place', place);
  }
}

/** A call ended: its length joins the room's recent ones (call metadata, under the retention period). */
export async function recordCallLength(s: Services, orgId: string, roomId: string, lengthMs: number): Promise<void> {
  const org = await s.organizations.getOrganization(orgId);
  const key = keys.roomCallLengths(orgId, roomId);
  await s.redis
    .multi()
    .lpush(key, Math.round(lengthMs))
    .ltrim(key, 0, LENGTHS_KEPT - 1)
    .pexpire(key, (org?.retentionDays ?? 1) * 86_400_000)
    .exec();
}
