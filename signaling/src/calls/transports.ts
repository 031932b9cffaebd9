import type { types } from 'mediasoup';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';
import type { AnySocket, CallSockets } from './call-sockets.ts';

/** The participant's transports and what they receive on them, once joined from this very socket. */
export class CallTransports {
  constructor(private readonly sockets: CallSockets) {}

  async connectTransport(socket: AnySocket, p: CallParticipant, callId: string, transportId: string, dtls: types.DtlsParameters) {
    await this.sockets.routerOf(socket, p, callId).connectTransport(mediaParticipantId(p), transportId, dtls);
    return {};
  }

  async resumeConsumer(socket: AnySocket, p: CallParticipant, callId: string, consumerId: string) {
    await this.sockets.routerOf(socket, p, callId).resumeConsumer(mediaParticipantId(p), consumerId);
    return {};
  }
}
