import type { professionalEvents } from '../../protocol/index.ts';
import type { Handlers } from '../socket/bind-events.ts';
import type { CallParticipant } from './call-participant.ts';
import type { CallInvitations } from './invitations.ts';

/** A professional asks a colleague into a call, takes the ask back, or lists the asks they have not answered. */
export function invitationHandlers(
  p: CallParticipant,
  invitations: CallInvitations,
): Pick<Handlers<typeof professionalEvents>, 'call:invite' | 'call:withdraw-invitation' | 'call:invitations'> {
  return {
    'call:invite': async ({ callId, professionalId: colleague }) => {
      await invitations.invite(p, callId, colleague);
      return {};
    },
    'call:withdraw-invitation': async ({ callId, professionalId: colleague }) => {
      await invitations.withdraw(p, callId, colleague);
      return {};
    },
    'call:invitations': async () => ({ invitations: await invitations.pending(p) }),
  };
}
