import type { DomainEvents } from '../events/domain-events.ts';
import type { Services } from '../services.ts';
import { announceLine, announcePlaces } from './queue-place.ts';

/**
 * Someone joined or left a room's line: the visitors waiting in it hear their places. In the background:
 * an answer never waits for the others in line to be told.
 */
export function placesOn(bus: DomainEvents, s: Pick<Services, 'redis' | 'organizations' | 'notify'>): void {
  const announce = (orgId: string, roomId: string) => void announcePlaces(s, orgId, roomId).catch(() => undefined);
  // From the form the newcomer is last and nobody moves; after the check-in steps they learn their place here.
  bus.on('visitor.arrived', 'places', ({ room, afterSteps }) => {
    if (afterSteps) announce(room.orgId, room.id);
  });
  bus.on('visitor.left', 'places', ({ orgId, roomId, callId }) => {
    if (!callId) announce(orgId, roomId);
  });
  bus.on('visitor.denied', 'places', ({ visitor }) => announce(visitor.orgId, visitor.roomId));
  bus.on('visitor.transferred', 'places', ({ visitor, to }) => {
    announce(visitor.orgId, visitor.roomId);
    announce(visitor.orgId, to.id);
  });
  // The admission read the line as it left it (one round trip less); an admission into a call did not.
  bus.on('visitor.admitted', 'places', ({ visitor, lineNow }) => {
    if (lineNow) void announceLine(s, visitor.orgId, visitor.roomId, lineNow);
    else announce(visitor.orgId, visitor.roomId);
  });
  bus.on('visitor.sent-back', 'places', ({ visitor }) => announce(visitor.orgId, visitor.roomId));
  // A cancelled consultation's visitors left their lines: those behind them move up.
  bus.on('consultation.cancelled', 'places', ({ orgId, removed }) => {
    for (const roomId of new Set(removed.map((r) => r.roomId))) announce(orgId, roomId);
  });
}
