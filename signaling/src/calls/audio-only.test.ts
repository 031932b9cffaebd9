import { expect } from 'chai';
import { ask, callInProgress, createOrganization, startTestServer, type TestServer } from '../test-support/test-server.ts';

const vp8 = (ssrc: number) => ({
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [] }],
  encodings: [{ ssrc }],
  headerExtensions: [],
  rtcp: { cname: `video-${ssrc}`, reducedSize: true },
});

/*
 * Sound only on a connection that cannot carry video: the SFU stops sending that participant the others'
 * camera video (a shared screen goes on), keeps new cameras paused meanwhile, and restarts them after.
 */
describe('audio only for a weak connection (real server, Redis, mediasoup)', function () {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('pauses the camera video sent to that participant only, screens go on, and it is kept as technical data', async () => {
    const org = await createOrganization(server.services);
    const { callId, pro, visitor, visitorHears: heard, visitorId, proJoined } = await callInProgress(server, org);
    const produce = (source: 'camera' | 'screen', ssrc: number) =>
      ask(pro, 'media:produce', { callId, transportId: proJoined.sendTransport.id, kind: 'video', source, rtpParameters: vp8(ssrc) });
    expect((await produce('camera', 8001)).ok).to.equal(true);
    const camera = await heard.waitFor<{ consumerId: string; source: string }>('call:consumer-added', (c) => c.source === 'camera');
    expect((await ask(visitor, 'media:resume-consumer', { callId, consumerId: camera.consumerId })).ok).to.equal(true);
    const router = server.services.media.existingRouter(callId)!;
    const visitorPeer = `visitor:${visitorId}`;
    expect(router.consumerPaused(visitorPeer, camera.consumerId)).to.equal(false);

    expect((await ask(visitor, 'media:receive-video', { callId, on: false })).ok).to.equal(true);
    expect(router.consumerPaused(visitorPeer, camera.consumerId), 'camera held back').to.equal(true);
    // A screen shared meanwhile still comes; resuming the camera does nothing while sound only.
    expect((await produce('screen', 8002)).ok).to.equal(true);
    const screen = await heard.waitFor<{ consumerId: string; source: string }>('call:consumer-added', (c) => c.source === 'screen');
    expect((await ask(visitor, 'media:resume-consumer', { callId, consumerId: screen.consumerId })).ok).to.equal(true);
    expect((await ask(visitor, 'media:resume-consumer', { callId, consumerId: camera.consumerId })).ok).to.equal(true);
    expect([router.consumerPaused(visitorPeer, screen.consumerId), router.consumerPaused(visitorPeer, camera.consumerId)]).to.deep.equal([false, true]);
    // The professional's own receiving is untouched.
    expect((await ask(pro, 'media:receive-video', { callId, on: true })).ok).to.equal(true);

    expect((await ask(visitor, 'media:receive-video', { callId, on: true })).ok).to.equal(true);
    expect(router.consumerPaused(visitorPeer, camera.consumerId), 'camera back').to.equal(false);
    const actions = (await server.redis.client.lrange(`{org:${org.org.id}}:call-tech:${callId}`, 0, -1))
      .map((e) => JSON.parse(e) as { role: string; action?: string })
      .filter((e) => e.action?.startsWith('audio-only'))
      .reverse()
      .map((e) => `${e.role} ${e.action}`);
    expect(actions, 'only real changes are kept').to.deep.equal(['visitor audio-only-on', 'visitor audio-only-off']);
    pro.disconnect();
    visitor.disconnect();
  });
});
