import type { types } from 'mediasoup-client';
import type { FramePipe } from './frame-pipe.ts';

/*
 * Producers and consumers whose every frame passes through the frame pipe. The transform goes on the
 * RTCRtpSender / RTCRtpReceiver in mediasoup-client's onRtpSender / onRtpReceiver hooks: right after the
 * transceiver is made, before the negotiation that lets media flow. Attached once produce() or consume()
 * has resolved, it would come after that negotiation, and browsers that transform frames without
 * `encodedInsertableStreams` (Firefox, Safari) would send the first frames in clear meanwhile.
 * (`zeroRtpOnPause` does not hold frames back in mediasoup-client 3.18.7, so producing paused is no help.)
 * `pipe` is null only in a call the benchmark build joined unencrypted.
 */

export function produceSealed(
  transport: types.Transport,
  pipe: FramePipe | null,
  kind: 'audio' | 'video',
  options: types.ProducerOptions,
): Promise<types.Producer> {
  return transport.produce({ ...options, ...(pipe ? { onRtpSender: (sender: RTCRtpSender) => pipe.attach(sender, 'send', kind) } : {}) });
}

/** The consumer is created paused on the SFU: resume it only once this has resolved. */
export function consumeSealed(
  transport: types.Transport,
  pipe: FramePipe | null,
  participantId: string,
  options: types.ConsumerOptions,
): Promise<types.Consumer> {
  const kind = options.kind;
  return transport.consume({
    ...options,
    ...(pipe ? { onRtpReceiver: (receiver: RTCRtpReceiver) => pipe.attach(receiver, 'receive', kind, participantId) } : {}),
  });
}
