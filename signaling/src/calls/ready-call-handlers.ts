import type { professionalEvents } from '../../protocol/index.ts';
import type { Handlers } from '../socket/bind-events.ts';
import type { ProfessionalSocket } from '../socket/types.ts';
import type { CallParticipant } from './call-participant.ts';
import type { ReadyCalls } from './ready-call.ts';

/** The dashboard's ready call: asked for once per dashboard, joined before the next admission. */
export function readyCallHandlers(socket: ProfessionalSocket, p: CallParticipant, ready: ReadyCalls): Pick<Handlers<typeof professionalEvents>, 'call:get-ready'> {
  return {
    'call:get-ready': async () => ready.getReady(socket, p),
  };
}
