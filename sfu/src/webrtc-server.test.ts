import { expect } from 'chai';
import net from 'node:net';
import { MediaServer } from './media-server.ts';
import { freePortRange } from '../../signaling/src/test-support/free-port.ts';
import { eventually } from '../../signaling/src/test-support/eventually.ts';

const quiet = { info() {}, warn() {}, error() {} };

/*
 * Media on a few known ports: with a port base, each worker's transports all share one UDP and one TCP
 * port (a mediasoup WebRtcServer per worker), which is what a firewall is opened for.
 */
describe('WebRtcServer: every transport of a worker on its one fixed port (real mediasoup workers)', function () {
  this.timeout(30_000);
  let media: MediaServer | undefined;
  afterEach(() => {
    media?.close();
    media = undefined;
  });

  it('calls on both workers offer only the ports base and base + 1, UDP and TCP, at the announced address; a replaced worker takes its port again', async () => {
    const portBase = await freePortRange(2);
    media = await MediaServer.start(
      { workers: 2, listenIp: '127.0.0.1', announcedIp: '203.0.113.10', rtcMinPort: 47000, rtcMaxPort: 47999, webRtcPortBase: portBase, logLevel: 'warn' },
      quiet,
    );
    const offered = new Set<string>();
    for (const id of ['call-a', 'call-b', 'call-c']) {
      const call = await media.routerFor(id);
      const joined = await call.join(`visitor:${id}`, call.rtpCapabilities);
      for (const t of [joined.sendTransport, joined.recvTransport]) for (const c of t.iceCandidates) offered.add(`${c.protocol} ${c.ip}:${c.port}`);
    }
    expect([...offered].sort()).to.deep.equal(
      [`tcp 203.0.113.10:${portBase}`, `tcp 203.0.113.10:${portBase + 1}`, `udp 203.0.113.10:${portBase}`, `udp 203.0.113.10:${portBase + 1}`],
    );

    // The worker with port base + 1 dies: its replacement listens there again, and new calls use it.
    const victim = media.workerPidOf('call-b')!;
    process.kill(victim, 'SIGKILL');
    await eventually(() => media!.workerPids.length >= 2 && !media!.workerPids.includes(victim), { what: 'the dead worker replaced', intervalMs: 100 });
    expect(media.workerPids).to.have.length(2);
    const after = new Set<string>();
    for (const id of ['call-d', 'call-e', 'call-f', 'call-g']) {
      const call = await media.routerFor(id);
      const joined = await call.join(`visitor:${id}`, call.rtpCapabilities);
      for (const c of joined.sendTransport.iceCandidates) after.add(`${c.protocol} ${c.port}`);
    }
    expect([...after].sort()).to.deep.equal([`tcp ${portBase}`, `tcp ${portBase + 1}`, `udp ${portBase}`, `udp ${portBase + 1}`].sort());
  });

  it('a network test goes through the same ports', async () => {
    const portBase = await freePortRange(2);
    media = await MediaServer.start({ workers: 1, listenIp: '127.0.0.1', rtcMinPort: 47000, rtcMaxPort: 47999, webRtcPortBase: portBase, logLevel: 'warn' }, quiet);
    const test = (await media.startLoopbackTest(media.rtpCapabilities, 5000, 1))!;
    const ports = new Set(Object.values(test.transports).flatMap((t) => t.iceCandidates.map((c) => c.port)));
    expect([...ports]).to.deep.equal([portBase]);
    test.close();
  });

  it('a port already taken stops the start with a message naming the port and the setting', async () => {
    const portBase = await freePortRange(2);
    const squatter = net.createServer().listen(portBase + 1, '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    try {
      const error = await MediaServer.start({ workers: 2, listenIp: '127.0.0.1', rtcMinPort: 47000, rtcMaxPort: 47999, webRtcPortBase: portBase, logLevel: 'warn' }, quiet).then(
        (m) => {
          m.close();
          return null;
        },
        (e: Error) => e,
      );
      expect(error?.message).to.match(new RegExp(`cannot listen for media on 127\\.0\\.0\\.1 port ${portBase + 1} \\(RTC_PORT_BASE \\+ 1\\)`));
    } finally {
      squatter.close();
    }
  });
});
