import type { QueuePlace } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';
import type { Visitor } from './waiting-room-store.ts';

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
export async function placeOf(s: Pick<Services, 'redis' | 'organizations'>, visitor: Pick<Visitor, 'orgId' | 'id' | 'roomId'>): Promise<QueuePlace | null> {
  const [rank, lengths, members] = await Promise.all([
    s.redis.zrank(keys.waiting(visitor.orgId, visitor.roomId), visitor.id),
    s.redis.lrange(keys.roomCallLengths(visitor.orgId, visitor.roomId), 0, -1),
    s.organizations.roomMembers(visitor.orgId, visitor.roomId),
  ]);
  if (rank === null) return null;
  return placeAt(rank + 1, perPersonMs(lengths, members.length));
}

/**
 * Someone left a room's line (admitted, gone, dropped): everyone behind them hears their new place. Three
 * Redis commands whatever the length of the line (the order, the recent lengths, the members), then one
 * message per visitor.
 */
export async function announcePlaces(s: Pick<Services, 'redis' | 'organizations' | 'notify'>, orgId: string, roomId: string): Promise<void> {
  const [line, lengths, members] = await Promise.all([
    s.redis.zrange(keys.waiting(orgId, roomId), '0', '-1'),
    s.redis.lrange(keys.roomCallLengths(orgId, roomId), 0, -1),
    s.organizations.roomMembers(orgId, roomId),
  ]);
  await announceLine(s, orgId, roomId, { line, lengths, professionals: members.length });
}

/**
 * Visitors told their place per turn of the event loop. A long line is told in slices: in one go, about
 * 45 microseconds a visitor (a message each, through the Redis adapter) held this process for 0.3 s with
 * 6,400 waiting, every request of every other room and call waiting behind it.
 */
export const PLACES_PER_TURN = 200;
/** Per room, the telling under way: a newer one (the line read later) takes over and the older stops. */
const telling = new Map<string, symbol>();

/**
 * Tells everyone in a line their place, from the line as read (by announcePlaces, or by an admission): the
 * first slice now, the rest in later turns. Resolves when all are told, or when a newer reading of the same
 * line took over (it has everyone's place as it is now, so nobody hears an older place after a newer one).
 */
export function announceLine(s: Pick<Services, 'notify'>, orgId: string, roomId: string, room: LineNow): Promise<void> {
  const perPerson = perPersonMs(room.lengths, room.professionals);
  const key = `${orgId}:${roomId}`;
  const mine = Symbol(key);
  telling.set(key, mine);
  return new Promise((resolve) => {
    const tell = (from: number) => {
      // (Past the server's close, the publisher's connection is gone: nothing more goes out.)
      if (telling.get(key) !== mine || s.notify.closed) {
        if (telling.get(key) === mine) telling.delete(key);
        return resolve();
      }
      const to = Math.min(room.line.length, from + PLACES_PER_TURN);
      for (let i = from; i < to; i++) s.notify.place(orgId, room.line[i]!, placeAt(i + 1, perPerson));
      if (to < room.line.length) return void setImmediate(tell, to);
      telling.delete(key);
      resolve();
    };
    tell(0);
  });
}

/** A room's line as it is now: visitor ids in order, its recent call lengths (ms), how many professionals it has. */
export interface LineNow {
  line: string[];
  lengths: string[];
  professionals: number;
}

/** The wait each person ahead adds: the median recent call, shared by the room's professionals; null untimed. */
const perPersonMs = (lengths: string[], professionals: number) => (lengths.length ? median(lengths.map(Number)) / Math.max(1, professionals) : null);

const placeAt = (position: number, perPerson: number | null): QueuePlace => ({
  position,
  estimatedMinutes: perPerson === null ? null : Math.max(1, Math.ceil((position * perPerson) / 60_000)),
});
