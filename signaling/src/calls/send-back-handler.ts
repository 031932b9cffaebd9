import type { professionalEvents } from '../../protocol/index.ts';
import type { AuditActorContext } from '../audit/audit-context.ts';
import type { DomainEvents } from '../events/domain-events.ts';
import type { Handlers } from '../socket/bind-events.ts';
import type { ProfessionalSocket } from '../socket/types.ts';
import type { CallParticipant } from './call-participant.ts';
import type { CallService } from './call-service.ts';

/** The professional sends a visitor of their call back to the waiting room; the call goes on. */
export function sendBackHandler(
  socket: ProfessionalSocket,
  p: CallParticipant,
  calls: CallService,
  domainEvents: DomainEvents,
  who: AuditActorContext,
): Pick<Handlers<typeof professionalEvents>, 'call:send-back'> {
  return {
    'call:send-back': async ({ callId, visitorId: which }) => {
      const visitor = await calls.sendBack(socket, p, callId, which);
      await domainEvents.publish('visitor.sent-back', { visitor, callId, actor: who });
      return {};
    },
  };
}
