import { queueCardOf } from './queue-card.ts';
import type { SmsAlerts } from '../alerts/sms-alerts.ts';
import type { Room } from '../organizations/organization-store.ts';
import type { Services } from '../services.ts';
import type { Visitor } from './waiting-room-store.ts';

/**
 * A visitor entered a room's line (straight from the form, or after the check-in steps): the room's
 * dashboards show them, and professionals who asked for it get an SMS.
 */
export function announceArrival(s: Services, sms: SmsAlerts, room: Room, visitor: Visitor): void {
  s.log.info({ orgId: room.orgId, roomId: room.id, visitorId: visitor.id }, 'visitor joined the waiting room');
  s.notify.visitorArrived(room.orgId, queueCardOf(visitor, room, { online: true }));
  void s.events.emit(room.orgId, 'visitor.arrived', { visitorId: visitor.id, roomId: room.id });
  void sms.visitorArrived(room, visitor.id).catch((err: Error) => s.log.warn({ err: err.message }, 'arrival SMS failed'));
}
