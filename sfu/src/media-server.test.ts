import { expect } from 'chai';
import { MediaServer } from './media-server.ts';

const quiet = { info() {}, warn() {}, error() {} };

/*
 * Placement of calls on real mediasoup workers: each new call's router goes to the least loaded worker,
 * load counted as one per call plus one per participant.
 */
describe('MediaServer places each call on the least loaded worker (real mediasoup workers)', function () {
  let media: MediaServer;

  before(async () => {
    media = await MediaServer.start({ workers: 2, listenIp: '127.0.0.1', rtcMinPort: 47000, rtcMaxPort: 47999, logLevel: 'warn' }, quiet);
  });
  after(() => media?.close());

  it('spreads calls over the workers, counts participants, and reuses a worker a call left', async () => {
    const [w1, w2] = media.workerPids;
    expect(media.workerPids).to.have.length(2);
    const a = await media.routerFor('call-a');
    const b = await media.routerFor('call-b');
    expect([media.workerPidOf('call-a'), media.workerPidOf('call-b')].sort()).to.deep.equal([w1, w2].sort());

    // Two participants in call A: its worker now carries 3, B's carries 1.
    await a.join('visitor:1', a.rtpCapabilities);
    await a.join('professional:1', a.rtpCapabilities);
    await media.routerFor('call-c');
    expect(media.workerPidOf('call-c')).to.equal(media.workerPidOf('call-b'));

    // A ends: its worker is empty, so the next call goes there.
    const freed = media.workerPidOf('call-a');
    media.closeCall('call-a');
    expect(a.isClosed).to.equal(true);
    expect(media.workerPidOf('call-a')).to.equal(undefined);
    await media.routerFor('call-d');
    expect(media.workerPidOf('call-d')).to.equal(freed);

    // The same call id asked for twice at once gets one router.
    const [x, y] = await Promise.all([media.routerFor('call-e'), media.routerFor('call-e')]);
    expect(x).to.equal(y);
    expect(b.isClosed).to.equal(false);
  });
});
