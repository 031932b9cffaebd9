import type { types } from 'mediasoup';
import type { MediaSource } from '../../../sfu/src/index.ts';
import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';
import type { AnySocket, CallSockets } from './call-sockets.ts';
import { recordCallAction } from './call-technical-data.ts';
import { mayShareScreen } from './screen-share.ts';

/** What a participant sends (camera, microphone, screen): started, paused, stopped, each kept as technical data. */
export class CallProducers {
  constructor(
    private readonly sockets: CallSockets,
    private readonly s: Pick<Services, 'redis' | 'organizations'>,
  ) {}

  async produce(
    socket: AnySocket,
    p: CallParticipant,
    req: { callId: string; transportId: string; kind: types.MediaKind; source: MediaSource; rtpParameters: types.RtpParameters },
  ) {
    const router = this.sockets.routerOf(socket, p, req.callId);
    if (req.source === 'screen' && !(await mayShareScreen(this.s, p))) throw new AppError('not_allowed', 'this organization does not let visitors share their screen');
    const producerId = await router.produce(
      mediaParticipantId(p),
      req.transportId,
      req.kind,
      req.rtpParameters,
      req.source,
    );
    if (req.source === 'screen') await recordCallAction(this.s.redis, p, req.callId, 'screen-share-on');
    return { producerId };
  }

  async closeProducer(socket: AnySocket, p: CallParticipant, callId: string, producerId: string) {
    const source = this.sockets.routerOf(socket, p, callId).closeProducer(mediaParticipantId(p), producerId);
    if (source === 'screen') await recordCallAction(this.s.redis, p, callId, 'screen-share-off');
    return {};
  }

  async setProducerPaused(socket: AnySocket, p: CallParticipant, callId: string, producerId: string, paused: boolean) {
    const router = this.sockets.routerOf(socket, p, callId);
    await router.setProducerPaused(mediaParticipantId(p), producerId, paused);
    const source = router.sourceOf(mediaParticipantId(p), producerId);
    const action = source === 'microphone' ? (paused ? 'mute' : 'unmute') : source === 'screen' ? (paused ? 'screen-share-paused' : 'screen-share-resumed') : paused ? 'camera-off' : 'camera-on';
    await recordCallAction(this.s.redis, p, callId, action);
    return {};
  }
}
