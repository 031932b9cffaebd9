import type { DomainEvents } from '../events/domain-events.ts';
import type { Services } from '../services.ts';
import { queueCardOf } from '../waiting-room/queue-card.ts';
import { placeOf } from '../waiting-room/queue-place.ts';

/**
 * What the browsers hear of the waiting room's and the call's state changes: the dashboards that may see
 * the room, and the visitor concerned. Through the Notifier, which reaches sockets on every process.
 */
export function notifyOn(bus: DomainEvents, s: Pick<Services, 'notify' | 'organizations' | 'redis'>): void {
  const { notify } = s;
  bus.on('visitor.arrived', 'notify', ({ visitor, room }) => notify.visitorArrived(room.orgId, queueCardOf(visitor, room, { online: true })));
  bus.on('visitor.left', 'notify', ({ orgId, visitorId, roomId, reason, callId }) => {
    // From a call that goes on, nobody's line changes: only the call's own messages tell.
    if (!callId) notify.visitorRemoved(orgId, { visitorId, roomId, reason });
  });
  bus.on('visitor.denied', 'notify', ({ visitor, message, by }) => {
    notify.denied(visitor.orgId, visitor.id, message);
    notify.visitorRemoved(visitor.orgId, { visitorId: visitor.id, roomId: visitor.roomId, reason: 'denied', by });
  });
  bus.on('visitor.transferred', 'notify', async ({ visitor, to, by }) => {
    const { orgId } = visitor;
    notify.visitorRemoved(orgId, { visitorId: visitor.id, roomId: visitor.roomId, reason: 'transferred', by });
    notify.visitorArrived(orgId, { visitorId: visitor.id, name: visitor.name, roomId: to.id, roomName: to.name, arrivedAt: visitor.arrivedAt, online: visitor.presence !== 'lost' });
    notify.moved(orgId, visitor.id, { roomName: to.name, professionalName: await s.organizations.hostNameOf(to), place: await placeOf(s, { ...visitor, roomId: to.id }) });
  });
  bus.on('visitor.admitted', 'notify', ({ visitor, callId, by }) => {
    notify.admitted(visitor.orgId, visitor.id, callId);
    notify.visitorRemoved(visitor.orgId, { visitorId: visitor.id, roomId: visitor.roomId, reason: 'admitted', by });
  });
  bus.on('visitor.sent-back', 'notify', async ({ visitor, callId }) => {
    const { orgId, roomId } = visitor;
    const room = await s.organizations.getRoom(orgId, roomId);
    if (!room) return;
    notify.sentBack(orgId, visitor.id, { callId, place: await placeOf(s, visitor) });
    notify.visitorArrived(orgId, { visitorId: visitor.id, name: visitor.name, roomId, roomName: room.name, arrivedAt: visitor.arrivedAt, online: true });
  });
  bus.on('call.ended', 'notify', ({ call, told }) => notify.callEnded(call.orgId, call.id, told));
  bus.on('consultation.cancelled', 'notify', ({ orgId, removed }) => {
    for (const { visitorId, roomId } of removed) {
      notify.visitCancelled(orgId, visitorId);
      notify.visitorRemoved(orgId, { visitorId, roomId, reason: 'cancelled' });
    }
  });
}
