import type { Room } from '../organizations/organization-store.ts';
import type { Services } from '../services.ts';
import type { Visitor } from './waiting-room-store.ts';

/**
 * A visitor entered a room's line (straight from the form, or `afterSteps`: once BankID or the payment was
 * done). What follows (the dashboards, an SMS, the webhook event) subscribes to the event; nothing here
 * waits for it.
 */
export function announceArrival(s: Pick<Services, 'log' | 'domainEvents'>, room: Room, visitor: Visitor, afterSteps: boolean): void {
  s.log.info({ orgId: room.orgId, roomId: room.id, visitorId: visitor.id }, 'visitor joined the waiting room');
  void s.domainEvents.publish('visitor.arrived', { visitor, room, afterSteps });
}
