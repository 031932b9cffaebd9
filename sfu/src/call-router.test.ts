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

/*
 * An admitted visitor's transports are made while they are told (prepare): their join takes those instead
 * of making more, and transports nobody came for close with the participant's leave or the call.
 */
describe('CallRouter: transports made ahead of a join (real mediasoup worker)', function () {
  let media: MediaServer;

  before(async () => {
    media = await MediaServer.start({ workers: 1, listenIp: '127.0.0.1', rtcMinPort: 47000, rtcMaxPort: 47999, logLevel: 'warn' }, quiet);
  });
  after(() => media?.close());

  /** The transports alive on the router, counted by mediasoup itself. */
  async function transportsOn(call: Awaited<ReturnType<MediaServer['routerFor']>>): Promise<string[]> {
    return ((await call.router.dump()) as { transportIds: string[] }).transportIds;
  }

  it('a join after prepare answers with the two prepared transports and makes none; prepared twice, still two', async () => {
    const call = await media.routerFor('call-prepared');
    call.prepare('visitor:1');
    call.prepare('visitor:1');
    await new Promise((r) => setTimeout(r, 200));
    const prepared = await transportsOn(call);
    expect(prepared).to.have.length(2);
    const joined = await call.join('visitor:1', call.rtpCapabilities);
    expect([joined.sendTransport.id, joined.recvTransport.id].sort()).to.deep.equal([...prepared].sort());
    expect(await transportsOn(call)).to.have.length(2);
    // Joining again makes fresh ones (nothing prepared is left), and the old ones close.
    const again = await call.join('visitor:1', call.rtpCapabilities);
    const now = await transportsOn(call);
    expect(now.sort()).to.deep.equal([again.sendTransport.id, again.recvTransport.id].sort());
    expect(now.some((id) => prepared.includes(id))).to.equal(false);
    media.closeCall('call-prepared');
  });

  it('prepared for someone who leaves before joining, or in a call that ends: the transports close', async () => {
    const call = await media.routerFor('call-prepared-unused');
    call.prepare('visitor:2');
    call.leave('visitor:2');
    call.prepare('visitor:3');
    await new Promise((r) => setTimeout(r, 200));
    expect(await transportsOn(call), 'only the one still expected').to.have.length(2);
    call.leave('visitor:3');
    await new Promise((r) => setTimeout(r, 100));
    expect(await transportsOn(call)).to.deep.equal([]);
    // Ending a call while they are being made leaves nothing open on the worker.
    call.prepare('visitor:4');
    media.closeCall('call-prepared-unused');
    expect(call.isClosed).to.equal(true);
    const next = await media.routerFor('call-after');
    expect(await transportsOn(next)).to.deep.equal([]);
    media.closeCall('call-after');
  });

  it('a prepared participant that is already in the call is left alone: prepare does nothing', async () => {
    const call = await media.routerFor('call-prepared-joined');
    const joined = await call.join('visitor:5', call.rtpCapabilities);
    call.prepare('visitor:5');
    await new Promise((r) => setTimeout(r, 200));
    expect((await transportsOn(call)).sort()).to.deep.equal([joined.sendTransport.id, joined.recvTransport.id].sort());
    media.closeCall('call-prepared-joined');
  });
});

/*
 * Someone starts sending while another participant joins: the newcomer gets one consumer of it, from its
 * join's answer or from the produce ('consumer-added'), never one from each and never none. (The
 * 'consumer-added' may reach the newcomer's browser before its join's answer: the call engine keeps it.)
 */
describe('CallRouter: a producer made during a join is consumed once (real mediasoup worker)', function () {
  let media: MediaServer;

  before(async () => {
    media = await MediaServer.start({ workers: 1, listenIp: '127.0.0.1', rtcMinPort: 47000, rtcMaxPort: 47999, logLevel: 'warn' }, quiet);
  });
  after(() => media?.close());

  it('20 joins, each racing a new producer: one consumer of it per newcomer, counted on the router', async () => {
    const call = await media.routerFor('call-join-race');
    const sender = await call.join('professional:1', call.rtpCapabilities);
    const consumersOf = new Map<string, string[]>();
    const consumedOnRouter = new Map<string, number>();
    call.router.observer.on('newtransport', (transport) => transport.observer.on('newconsumer', (c) => consumedOnRouter.set(c.producerId, (consumedOnRouter.get(c.producerId) ?? 0) + 1)));
    call.on('consumer-added', (participantId, c) => consumersOf.set(participantId, [...(consumersOf.get(participantId) ?? []), c.producerId]));
    for (let i = 0; i < 20; i++) {
      const newcomer = `visitor:${i}`;
      if (i % 2) call.prepare(newcomer);
      const [joined, producerId] = await Promise.all([
        call.join(newcomer, call.rtpCapabilities),
        (async () => {
          // At different moments of the join, from at once to after its transports.
          for (let t = 0; t < i % 4; t++) await new Promise((r) => setImmediate(r));
          return call.produce('professional:1', sender.sendTransport.id, 'video', vp8(20_000 + i), 'camera');
        })(),
      ]);
      const got = [...joined.consumers.map((c) => c.producerId), ...(consumersOf.get(newcomer) ?? [])].filter((p) => p === producerId);
      expect(got, `consumers of the new producer given to ${newcomer}`).to.have.length(1);
      call.leave(newcomer);
      call.closeProducer('professional:1', producerId);
    }
    // Every producer consumed at most once per newcomer on the router itself (each newcomer left before the next).
    expect([...consumedOnRouter.values()].every((n) => n <= 1), JSON.stringify([...consumedOnRouter])).to.equal(true);
    media.closeCall('call-join-race');
  });
});
