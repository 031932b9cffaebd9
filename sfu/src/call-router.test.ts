import { expect } from 'chai';
import type { types } from 'mediasoup';
import { MediaServer } from './media-server.ts';

const quiet = { info() {}, warn() {}, error() {} };

const vp8 = (ssrc: number): types.RtpParameters => ({
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [] }],
  encodings: [{ ssrc }],
  headerExtensions: [],
  rtcp: { cname: `camera-${ssrc}`, reducedSize: true },
});

/*
 * One track per source and participant, however the requests are timed: a participant who asks for the
 * same source many times at once gets one producer (counted on the mediasoup router itself), not one per
 * request.
 */
describe('CallRouter: one producer per source under parallel requests (real mediasoup worker)', function () {
  let media: MediaServer;

  before(async () => {
    media = await MediaServer.start({ workers: 1, listenIp: '127.0.0.1', rtcMinPort: 47000, rtcMaxPort: 47999, logLevel: 'warn' }, quiet);
  });
  after(() => media?.close());

  it('20 parallel produces of one source give one producer', async () => {
    const call = await media.routerFor('call-parallel-produce');
    const live = new Set<types.Producer>();
    call.router.observer.on('newtransport', (transport) =>
      transport.observer.on('newproducer', (producer) => {
        live.add(producer);
        producer.observer.once('close', () => live.delete(producer));
      }),
    );
    const joined = await call.join('visitor:1', call.rtpCapabilities);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => call.produce('visitor:1', joined.sendTransport.id, 'video', vp8(9000 + i), 'camera')),
    );
    expect(results.filter((r) => r.status === 'fulfilled'), 'producers made').to.have.length(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).to.equal('bad_request');
    expect(live.size, 'producers on the router').to.equal(1);

    // Once that one is closed, the source is free again.
    const producerId = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<string>).value;
    call.closeProducer('visitor:1', producerId);
    await call.produce('visitor:1', joined.sendTransport.id, 'video', vp8(9100), 'camera');
    expect(live.size).to.equal(1);
    media.closeCall('call-parallel-produce');
  });
});
