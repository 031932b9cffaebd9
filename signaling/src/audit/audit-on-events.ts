import type { DomainEvents } from '../events/domain-events.ts';
import type { AuditLog } from './audit-log.ts';

/**
 * The audit entries of the waiting room's and the call's state changes: who admitted, turned away, moved
 * or sent back whom, and when a call started and ended. Recorded before anyone is told of the change
 * (an admission: told first, recorded in the same round trip as its webhook event).
 */
export function auditOn(bus: DomainEvents, audit: AuditLog): void {
  bus.on(
    'visitor.denied',
    'audit',
    ({ visitor, actor }) => audit.record({ ...actor, action: 'deny', targetId: visitor.id, detail: { roomId: visitor.roomId } }),
    'record',
  );
  bus.on(
    'visitor.transferred',
    'audit',
    ({ visitor, to, actor }) => audit.record({ ...actor, action: 'transfer', targetId: visitor.id, detail: { from: visitor.roomId, to: to.id } }),
    'record',
  );
  bus.on(
    'visitor.admitted',
    'audit',
    ({ visitor, callId, actor, embedded }) =>
      audit.record({ ...actor, action: 'admit', targetId: visitor.id, detail: { callId, roomId: visitor.roomId, ...(embedded ? { embedded: true } : {}) } }),
    'record',
  );
  bus.on('call.started', 'audit', ({ visitor, callId, actor }) => audit.record({ ...actor, action: 'call_start', targetId: callId, detail: { visitorId: visitor.id } }), 'record');
  bus.on('visitor.sent-back', 'audit', ({ visitor, callId, actor }) => audit.record({ ...actor, action: 'send_back', targetId: visitor.id, detail: { callId } }), 'record');
  bus.on(
    'call.ended',
    'audit',
    ({ call, endedAt, by, actor }) => audit.record({ ...actor, action: 'call_end', targetId: call.id, detail: { by, seconds: Math.round((endedAt - call.startedAt) / 1000) } }),
    'record',
  );
}
