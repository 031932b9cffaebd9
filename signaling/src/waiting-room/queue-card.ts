import type { WaitingVisitor } from '../../protocol/index.ts';
import type { Visitor } from './waiting-room-store.ts';

/**
 * A waiting visitor as a professional's queue card shows them: one shape for the list, an arrival, and the
 * embedded view. `messageKey` only where waiting-room messages are offered (not in an EHR's iframe).
 */
export function queueCardOf(visitor: Visitor, room: { id: string; name: string }, opts: { online?: boolean; messageKey?: boolean } = {}): WaitingVisitor {
  return {
    visitorId: visitor.id,
    name: visitor.name,
    roomId: room.id,
    roomName: room.name,
    arrivedAt: visitor.arrivedAt,
    online: opts.online ?? visitor.presence !== 'lost',
    ...(opts.messageKey && visitor.messageKey ? { messageKey: visitor.messageKey } : {}),
    ...(visitor.checkIn ? { checkIn: visitor.checkIn } : {}),
    ...(visitor.deviceCheck ? { deviceCheck: visitor.deviceCheck } : {}),
    ...(visitor.identity ? { identity: visitor.identity } : {}),
    ...(visitor.appointmentAt ? { appointmentAt: visitor.appointmentAt } : {}),
  };
}
