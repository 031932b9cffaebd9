import { expect } from 'chai';
import { askRaw, networkCheckSocket, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { routerCensus, type RouterCensus } from '../test-support/router-census.ts';
import { eventually } from '../test-support/eventually.ts';

type Answer = { ok: boolean; error?: { code: string } };

/*
 * The network check is open to anyone, so what it costs must be bounded however its requests are timed:
 * starts sent all at once, from one connection or from many, never hold more test routers than the cap
 * (counted on the mediasoup workers themselves), and one connection holds one test.
 */
describe('network check capacity under parallel starts (real server, mediasoup)', function () {
  this.timeout(120_000);
  const CAP = 5;
  let server: TestServer;
  let census: RouterCensus;

  before(async () => {
    census = routerCensus();
    server = await startTestServer({ env: { NETWORK_CHECK_MAX_CONCURRENT: String(CAP) } });
  });
  after(async () => {
    census?.stop();
    await server?.close();
  });
  /** Every connection a test opened closes after it, passed or failed, and takes its test router along. */
  let opened: Awaited<ReturnType<typeof networkCheckSocket>>[] = [];
  const open = async () => {
    const socket = await networkCheckSocket(server);
    opened.push(socket);
    return socket;
  };
  afterEach(async () => {
    for (const socket of opened) socket.disconnect();
    opened = [];
    await eventually(() => census.open === 0, { what: 'every test router closed with its connection', timeoutMs: 5000 });
  });

  const start = (socket: Awaited<ReturnType<typeof networkCheckSocket>>) =>
    askRaw(socket, 'check:start', { rtpCapabilities: server.services.media.rtpCapabilities }) as Promise<Answer>;

  it('50 starts at once from one connection give it one test router', async () => {
    census.resetPeak();
    const socket = await open();
    const answers = await Promise.all(Array.from({ length: 50 }, () => start(socket)));
    expect(answers.filter((a) => a.ok), 'started').to.have.length(1);
    expect(new Set(answers.filter((a) => !a.ok).map((a) => a.error!.code))).to.deep.equal(new Set(['bad_request']));
    expect(census.peak, 'test routers at once').to.equal(1);
    socket.disconnect();
    await eventually(() => census.open === 0, { what: 'the test router closed with its connection', timeoutMs: 5000 });
  });

  it('50 starts at once from 50 connections never hold more test routers than the cap', async () => {
    census.resetPeak();
    const sockets = await Promise.all(Array.from({ length: 50 }, () => open()));
    const answers = await Promise.all(sockets.map((s) => start(s)));
    expect(answers.filter((a) => a.ok), 'started').to.have.length(CAP);
    expect(new Set(answers.filter((a) => !a.ok).map((a) => a.error!.code))).to.deep.equal(new Set(['rate_limited']));
    expect(census.peak, 'test routers at once').to.be.at.most(CAP);
    for (const s of sockets) s.disconnect();
    await eventually(() => census.open === 0, { what: 'every test router closed with its connection', timeoutMs: 5000 });
    expect(server.services.media.loopbackTestCount).to.equal(0);

    // The places are free again.
    const again = await open();
    expect((await start(again)).ok).to.equal(true);
    again.disconnect();
  });

  it('20 parallel sends of one kind in a test give one track', async () => {
    const socket = await open();
    const started = (await start(socket)) as Answer & { sendTransport: { id: string } };
    expect(started.ok).to.equal(true);
    const vp8 = (ssrc: number) => ({
      codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [] }],
      encodings: [{ ssrc }],
      headerExtensions: [],
      rtcp: { cname: `check-${ssrc}`, reducedSize: true },
    });
    const answers = (await Promise.all(
      Array.from({ length: 20 }, (_, i) => askRaw(socket, 'check:produce', { transportId: started.sendTransport.id, kind: 'video', rtpParameters: vp8(5000 + i) })),
    )) as Answer[];
    expect(answers.filter((a) => a.ok), 'tracks taken').to.have.length(1);
    expect(new Set(answers.filter((a) => !a.ok).map((a) => a.error!.code))).to.deep.equal(new Set(['bad_request']));
    socket.disconnect();
    await eventually(() => census.open === 0, { what: 'the test router closed with its connection', timeoutMs: 5000 });
  });
});
