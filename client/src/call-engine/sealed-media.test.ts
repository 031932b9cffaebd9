import { expect } from 'chai';
import { Device, FakeHandler, testFakeParameters, type types } from 'mediasoup-client';
import { FramePipe } from './frame-pipe.ts';
import { consumeSealed, produceSealed } from './sealed-media.ts';

/*
 * The order in which a call's senders and receivers get their frame transform, against mediasoup-client's
 * own Transport with its FakeHandler (there is no WebRTC in Node). The handler hands the engine stand-ins
 * for the RTCRtpSender / RTCRtpReceiver a browser would make, and notes when its negotiation is done: from
 * then on, in a browser, frames flow. Each stand-in notes when a transform is put on it.
 */

function recorder() {
  const events: string[] = [];
  const endpoint = (name: string) =>
    ({
      createEncodedStreams: () => {
        events.push(`${name} transformed`);
        return { readable: new ReadableStream(), writable: new WritableStream() };
      },
    }) as unknown as RTCRtpSender & RTCRtpReceiver;
  const base = FakeHandler.createFactory(testFakeParameters);
  const handlerFactory: types.HandlerFactory = {
    ...base,
    factory: (options) => {
      const handler = base.factory(options);
      const send = handler.send.bind(handler);
      const receive = handler.receive.bind(handler);
      handler.send = async (o) => {
        o.onRtpSender?.(endpoint(`${o.track.kind} sender`));
        const result = await send(o);
        events.push(`${o.track.kind} sending negotiated`);
        return result;
      };
      handler.receive = async (list) => {
        for (const o of list) o.onRtpReceiver?.(endpoint(`${o.kind} receiver`));
        const result = await receive(list);
        // mediasoup-client adds a 'probator' receiver of its own after the first video consumer (bandwidth
        // probing: padding only, no frames).
        for (const o of list) events.push(o.trackId === 'probator' ? 'probator negotiated' : `${o.kind} receiving negotiated`);
        return result;
      };
      return handler;
    },
  };
  return { events, handlerFactory };
}

const track = (kind: 'audio' | 'video') =>
  ({ id: `${kind}-1`, kind, readyState: 'live', enabled: true, addEventListener() {}, removeEventListener() {} }) as unknown as MediaStreamTrack;

describe('frame transforms go on before any frame can leave (call engine, sealed media)', () => {
  let pipe: FramePipe | undefined;
  afterEach(() => {
    pipe?.close();
    pipe = undefined;
  });

  it('each producer\'s sender is transformed before its negotiation, and before the SFU is told of it', async () => {
    const { events, handlerFactory } = recorder();
    const device = new Device({ handlerFactory });
    await device.load({ routerRtpCapabilities: testFakeParameters.generateRouterRtpCapabilities() });
    const transport = device.createSendTransport(testFakeParameters.generateTransportRemoteParameters());
    transport.on('connect', (_p, ok) => ok());
    transport.on('produce', ({ kind }, ok) => {
      events.push(`${kind} producer told to the SFU`);
      ok(testFakeParameters.generateProducerRemoteParameters());
    });
    pipe = new FramePipe(() => undefined);
    await produceSealed(transport, pipe, 'video', { track: track('video'), stopTracks: false });
    await produceSealed(transport, pipe, 'audio', { track: track('audio'), stopTracks: false });
    expect(events).to.deep.equal([
      'video sender transformed',
      'video sending negotiated',
      'video producer told to the SFU',
      'audio sender transformed',
      'audio sending negotiated',
      'audio producer told to the SFU',
    ]);
  });

  it('each consumer\'s receiver is transformed before its negotiation, so before the engine asks the SFU to resume it', async () => {
    const { events, handlerFactory } = recorder();
    const device = new Device({ handlerFactory });
    await device.load({ routerRtpCapabilities: testFakeParameters.generateRouterRtpCapabilities() });
    const transport = device.createRecvTransport(testFakeParameters.generateTransportRemoteParameters());
    transport.on('connect', (_p, ok) => ok());
    pipe = new FramePipe(() => undefined);
    await consumeSealed(transport, pipe, 'professional:1', testFakeParameters.generateConsumerRemoteParameters({ codecMimeType: 'video/VP8' }));
    events.push('resume asked');
    expect(events).to.deep.equal(['video receiver transformed', 'video receiving negotiated', 'probator negotiated', 'resume asked']);
  });
});
