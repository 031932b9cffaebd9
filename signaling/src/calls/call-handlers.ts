import type { callEvents } from '../../protocol/index.ts';
import type { Handlers } from '../socket/bind-events.ts';
import type { ProfessionalSocket, VisitorSocket } from '../socket/types.ts';
import type { CallService } from './call-service.ts';
import type { CallParticipant } from './call-participant.ts';

/** The call events, the same for visitors and professionals; who may do what is checked in the call's parts. */
export function callHandlers(
  socket: VisitorSocket | ProfessionalSocket,
  p: CallParticipant,
  calls: CallService,
): Handlers<typeof callEvents> {
  return {
    'call:join': (req) => calls.joining.join(socket, p, req),
    'e2ee:key': (req) => calls.relayKey(socket, p, req),
    'chat:send': (req) => calls.relayChat(socket, p, req),
    'media:connect-transport': (req) => calls.transports.connectTransport(socket, p, req.callId, req.transportId, req.dtlsParameters),
    'media:produce': (req) => calls.producers.produce(socket, p, req),
    'media:close-producer': (req) => calls.producers.closeProducer(socket, p, req.callId, req.producerId),
    'media:receive-video': (req) => calls.receiveVideo(socket, p, req.callId, req.on),
    'media:resume-consumer': (req) => calls.transports.resumeConsumer(socket, p, req.callId, req.consumerId),
    'media:set-producer-paused': (req) => calls.producers.setProducerPaused(socket, p, req.callId, req.producerId, req.paused),
    'call:hang-up': (req) => calls.hangUp(socket, p, req.callId),
    'call:quality': (req) => calls.quality(socket, p, req),
  };
}
