import { expect } from 'chai';
import { rateConnection, type WaitingVisitor } from '../../protocol/index.ts';
import { eventually } from '../test-support/eventually.ts';
import {
  ask,
  askRaw,
  createOrganization,
  login,
  networkCheckSocket,
  postJson,
  professionalSocket,
  refusedConnection,
  startTestServer,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';

type Answer = { ok: boolean; error?: { code: string; message: string }; [k: string]: unknown };
const call = (socket: Parameters<typeof askRaw>[0], event: string, payload: unknown) => askRaw(socket, event, payload) as Promise<Answer>;

/*
 * The network check's server side without a browser (the media itself runs in the Chromium tests): who may
 * open it, its limits, bad messages, and how its result travels with a check-in to the queue card.
 */
describe('network check (real server, Redis, mediasoup)', function () {
  let server: TestServer;
  let org: TestOrganization;

  before(async () => {
    server = await startTestServer({ env: { NETWORK_CHECK_LIMIT_PER_HOUR: '3' } });
    org = await createOrganization(server.services);
  });
  after(async () => {
    await server?.close();
  });

  it('rates a connection by its worst figure, with what limits it', () => {
    expect(rateConnection({ rttMs: 40, lossPercent: 0, bitrateKbps: 1200 })).to.deep.equal({ rating: 'good', limitedBy: null });
    expect(rateConnection({ rttMs: 40, lossPercent: 3, bitrateKbps: 1200 })).to.deep.equal({ rating: 'fair', limitedBy: 'loss' });
    expect(rateConnection({ rttMs: 700, lossPercent: 3, bitrateKbps: 1200 })).to.deep.equal({ rating: 'poor', limitedBy: 'delay' });
    expect(rateConnection({ rttMs: 40, lossPercent: 0, bitrateKbps: 100 })).to.deep.equal({ rating: 'poor', limitedBy: 'bandwidth' });
    expect(rateConnection({ rttMs: null, lossPercent: 0, bitrateKbps: 300 })).to.deep.equal({ rating: 'fair', limitedBy: 'bandwidth' });
    expect(rateConnection({ rttMs: 299, lossPercent: 1.9, bitrateKbps: 400 })).to.deep.equal({ rating: 'good', limitedBy: null });
  });

  it('a page of another site cannot open it', async () => {
    expect(await refusedConnection(networkCheckSocket(server, 'https://evil.example'))).to.be.a('string');
  });

  it('gives a test router to anyone, refuses bad messages, and nothing without a running test', async () => {
    const socket = await networkCheckSocket(server);
    expect((await call(socket, 'check:finish', {})).error?.code, 'nothing running').to.equal('not_found');
    expect((await call(socket, 'check:start', { rtpCapabilities: 'no' })).error?.code).to.equal('bad_request');
    expect((await call(socket, 'check:start', { rtpCapabilities: {}, extra: 1 })).error?.code).to.equal('bad_request');
    expect((await call(socket, 'call:join', { callId: 'a'.repeat(32) })).error?.code, 'no call events here').to.equal('bad_request');

    const started = await call(socket, 'check:start', { rtpCapabilities: server.services.media.rtpCapabilities });
    expect(started.ok, JSON.stringify(started)).to.equal(true);
    expect(started.checkId).to.match(/^[0-9a-f]{32}$/);
    expect(server.services.media.loopbackTestCount).to.equal(1);
    expect((await call(socket, 'check:start', { rtpCapabilities: server.services.media.rtpCapabilities })).error?.code, 'one test per connection').to.equal('bad_request');
    expect((await call(socket, 'check:connect-transport', { transportId: crypto.randomUUID(), dtlsParameters: { role: 'client', fingerprints: [] } })).error?.code).to.equal('not_found');
    expect((await call(socket, 'check:produce', { transportId: crypto.randomUUID(), kind: 'video', rtpParameters: {} })).error?.code).to.equal('not_found');
    const sendId = (started.sendTransport as { id: string }).id;
    expect((await call(socket, 'check:produce', { transportId: sendId, kind: 'video', rtpParameters: { codecs: 'x' } })).error?.code).to.equal('bad_request');
    expect((await call(socket, 'check:finish', {})).error?.message, 'nothing to measure').to.include('nothing was sent');

    // Leaving closes the test router at once.
    socket.disconnect();
    await eventually(() => server.services.media.loopbackTestCount === 0, { what: 'no loopback test left', timeoutMs: 5000 });
  });

  it('limits tests per address', async () => {
    // Three allowed an hour in this server (one used above).
    for (let i = 0; i < 2; i++) {
      const socket = await networkCheckSocket(server);
      expect((await call(socket, 'check:start', { rtpCapabilities: server.services.media.rtpCapabilities })).ok).to.equal(true);
      socket.disconnect();
    }
    const socket = await networkCheckSocket(server);
    expect((await call(socket, 'check:start', { rtpCapabilities: server.services.media.rtpCapabilities })).error?.code).to.equal('rate_limited');
    socket.disconnect();
  });

  it('goes with the check-in to the queue card: camera, microphone, browser and the SFU\'s own figures', async () => {
    const checkId = 'c'.repeat(32);
    const measured = { rttMs: 420, lossPercent: 3.5, bitrateKbps: 900, rating: 'poor' as const, limitedBy: 'delay' as const, measuredAt: Date.now() };
    await server.services.networkChecks.save(checkId, measured);
    const auth = await login(server, org.professional.email, org.professional.password);
    const pro = await professionalSocket(server, auth.cookie);
    const res = await postJson(server, '/api/visits', {
      roomSlug: org.room.slug,
      answers: { name: 'Kari Nordmann' },
      deviceCheck: { browser: 'Chrome 131 on Linux', camera: false, microphone: true, networkCheckId: checkId },
    });
    expect(res.status).to.equal(201);
    const list = await ask(pro, 'queue:list', {});
    const card = (list.ok ? list.visitors : []).find((v: WaitingVisitor) => v.name === 'Kari Nordmann');
    expect(card?.deviceCheck).to.deep.equal({ browser: 'Chrome 131 on Linux', camera: false, microphone: true, network: measured });

    // An unknown check id brings no figures; a browser name with markup or a device label's length is refused.
    const unknown = await postJson(server, '/api/visits', {
      roomSlug: org.room.slug,
      answers: { name: 'Per Hansen' },
      deviceCheck: { browser: 'Firefox 133', camera: true, microphone: true, networkCheckId: 'd'.repeat(32) },
    });
    expect(unknown.status).to.equal(201);
    for (const deviceCheck of [
      { browser: '<script>', camera: true, microphone: true },
      { browser: 'x'.repeat(61), camera: true, microphone: true },
      { browser: 'Chrome', camera: 'yes', microphone: true },
      { browser: 'Chrome', camera: true, microphone: true, cameraLabel: 'Kari\'s FaceTime HD Camera' },
    ]) {
      const bad = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name: 'Ola' }, deviceCheck });
      expect(bad.status, JSON.stringify(deviceCheck)).to.equal(400);
    }
    const after = await ask(pro, 'queue:list', {});
    expect(after.ok && after.visitors.map((v) => v.name)).to.deep.equal(['Kari Nordmann', 'Per Hansen']);
    expect(after.ok && after.visitors[1]!.deviceCheck?.network).to.equal(undefined);
    pro.disconnect();
  });
});
