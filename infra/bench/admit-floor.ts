/*
 * The floor for bench:admit: the smallest mediasoup call that does what an admission does, so our time can
 * be read as a ratio to it on the same machine, in the same hour, in the same two browsers. No login, no
 * Redis, no UI, no encryption; one mediasoup worker and one router in this process, a Socket.IO server,
 * and a page (admit-floor-page.ts, bundled once with Vite from node_modules) that has its camera on and
 * its Device loaded before the admission. At the "admit" message the server makes both sides'
 * transports at once, and each side sends as soon as it has them; each producer is consumed (paused, then
 * resumed once the receiving page has it, as mediasoup wants for the first key frame) by the other side.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { Server, type Socket } from 'socket.io';
import { build, type Rollup } from 'vite';
import type { Browser, Page } from 'playwright-core';
import { mediaCodecs } from '../../sfu/src/media-config.ts';
import { newCallContext } from '../e2e/browser.ts';
import { addSteps, marksSince } from './page-marks.ts';
import { watchRtp } from './rtp-watch.ts';
import type { SfuTrace } from './sfu-watch.ts';
import type { FloorClientEvents, FloorServerEvents, FloorWindow } from './admit-floor-protocol.ts';

type Role = 'professional' | 'visitor';

interface Peer {
  socket: Socket<FloorClientEvents, FloorServerEvents>;
  rtpCapabilities?: types.RtpCapabilities;
  send?: types.WebRtcTransport;
  recv?: types.WebRtcTransport;
}

export interface Floor {
  url: string;
  /** The professional's page, in `browser`: camera on and Device loaded, kept across admissions. */
  openProfessional(browser: Browser): Promise<Page>;
  /**
   * One admission: a visitor's page in `visitorBrowser` (fresh, as ours), then the admit message, then the
   * first video frame each side presents; both in ms after the admit message, on the browsers' clock.
   * `steps`: each side's step marks (as ours leave them), ms after the admit message.
   */
  admitOne(pro: Page, visitorBrowser: Browser, options?: { rtp?: boolean; sfu?: SfuTrace }): Promise<{ visitorSees: number; professionalSees: number; steps: Map<string, number[]> }>;
  close(): Promise<void>;
}

export async function startFloor(): Promise<Floor> {
  const script = await bundlePage();
  const worker = await mediasoup.createWorker({ logLevel: 'warn' });
  const router = await worker.createRouter({ mediaCodecs });
  const peers = new Map<Role, Peer>();
  const consumers = new Map<string, types.Consumer>();
  /** Whose each producer is, for the SFU's trace. */
  const owners = new Map<string, Role>();

  const httpServer = http.createServer((req, res) => {
    if (req.url?.startsWith('/floor.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else if (req.url?.startsWith('/floor')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>floor</title><body><script type="module" src="/floor.js"></script>');
    } else {
      res.writeHead(404).end();
    }
  });
  const io = new Server<FloorClientEvents, FloorServerEvents>(httpServer);
  const transport = () =>
    router.createWebRtcTransport({ listenIps: [{ ip: '127.0.0.1' }], enableUdp: true, enableTcp: true, preferUdp: true, initialAvailableOutgoingBitrate: 1_000_000 });
  const other = (role: Role): Role => (role === 'professional' ? 'visitor' : 'professional');
  const endCall = () => {
    for (const peer of peers.values()) {
      peer.send?.close();
      peer.recv?.close();
      peer.send = peer.recv = undefined;
      peer.socket.emit('end');
    }
  };

  io.of('/floor').on('connection', (socket) => {
    const role: Role = socket.handshake.query.role === 'professional' ? 'professional' : 'visitor';
    const peer: Peer = { socket };
    peers.set(role, peer);
    socket.on('disconnect', () => {
      if (peers.get(role) === peer) peers.delete(role);
    });
    socket.on('capabilities', (reply) => reply(asSent(router.rtpCapabilities)));
    socket.on('ready', (caps, reply) => {
      peer.rtpCapabilities = caps;
      reply();
    });
    socket.on('admit', async () => {
      const both = [...peers.values()];
      await Promise.all(both.map(async (p) => ([p.send, p.recv] = await Promise.all([transport(), transport()]))));
      for (const p of both) {
        const describe = (t: types.WebRtcTransport) => ({ id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters });
        p.socket.emit('start', asSent({ send: describe(p.send!), recv: describe(p.recv!) }));
      }
    });
    socket.on('connect-transport', async ({ transportId, dtlsParameters }, reply) => {
      await [peer.send, peer.recv].find((t) => t?.id === transportId)?.connect({ dtlsParameters });
      reply();
    });
    socket.on('produce', async ({ kind, rtpParameters }, reply) => {
      const producer = await peer.send!.produce({ kind, rtpParameters });
      owners.set(producer.id, role);
      producer.observer.once('close', () => owners.delete(producer.id));
      reply(producer.id);
      const receiver = peers.get(other(role));
      if (!receiver?.recv || !receiver.rtpCapabilities) return;
      const consumer = await receiver.recv.consume({ producerId: producer.id, rtpCapabilities: receiver.rtpCapabilities, paused: true });
      consumers.set(consumer.id, consumer);
      consumer.observer.once('close', () => consumers.delete(consumer.id));
      receiver.socket.emit('consume', { id: consumer.id, producerId: producer.id, kind: consumer.kind, rtpParameters: asSent(consumer.rtpParameters) });
    });
    socket.on('resume', (consumerId) => void consumers.get(consumerId)?.resume());
    socket.on('end', endCall);
  });

  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;

  const openPage = async (browser: Browser, role: Role): Promise<Page> => {
    const context = await newCallContext(browser, url);
    const page = await context.newPage();
    await page.goto(`${url}/floor?role=${role}`);
    await page.waitForFunction(() => (window as FloorWindow).__ready === true, undefined, { timeout: 20_000 });
    return page;
  };
  const firstFrame = async (page: Page, since: number) => {
    const handle = await page.waitForFunction((t) => (window as FloorWindow).__remoteFrames.find((f) => f >= t), since, { timeout: 20_000, polling: 10 });
    return (await handle.jsonValue()) as number;
  };

  return {
    url,
    openProfessional: (browser) => openPage(browser, 'professional'),
    async admitOne(pro, visitorBrowser, options) {
      const visitor = await openPage(visitorBrowser, 'visitor');
      await visitor.waitForTimeout(300); // as ours: the waiting page settles before the click
      const watching = options?.rtp ? watchRtp([pro, visitor]) : undefined;
      const sfuWatch = options?.sfu?.watch([worker.pid], (id) => owners.get(id));
      const clickedAt = await pro.evaluate(() => {
        (window as FloorWindow).admit();
        return (window as FloorWindow).__clickedAt!;
      });
      const [visitorFrame, proFrame] = await Promise.all([firstFrame(visitor, clickedAt), firstFrame(pro, clickedAt)]);
      await watching?.stop();
      const steps = new Map<string, number[]>();
      addSteps(steps, 'professional', await marksSince(pro, clickedAt), clickedAt);
      addSteps(steps, 'visitor', await marksSince(visitor, clickedAt), clickedAt);
      addSteps(steps, 'sfu', (await sfuWatch?.stop(clickedAt)) ?? [], clickedAt);
      await pro.evaluate(() => {
        (window as FloorWindow).__ended = false;
        (window as FloorWindow).end();
      });
      await pro.waitForFunction(() => (window as FloorWindow).__ended === true);
      await visitor.context().close();
      return { visitorSees: visitorFrame - clickedAt, professionalSees: proFrame - clickedAt, steps };
    },
    async close() {
      await io.close();
      worker.close();
    },
  };
}

/** The page's script with mediasoup-client and socket.io-client, bundled in memory (nothing is downloaded). */
async function bundlePage(): Promise<string> {
  const entry = fileURLToPath(new URL('./admit-floor-page.ts', import.meta.url));
  const out = (await build({
    configFile: false,
    logLevel: 'warn',
    build: { write: false, minify: false, rollupOptions: { input: entry, output: { format: 'es' } } },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  const chunk = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output).find((c) => c.type === 'chunk' && c.isEntry);
  if (!chunk || chunk.type !== 'chunk') throw new Error('bench:admit: the floor page did not bundle');
  return chunk.code;
}

/**
 * What the server's mediasoup (3.12) hands over, typed as the browser's mediasoup-client (3.18) reads it.
 * Both describe the same JSON, which is all that crosses the socket; their TypeScript types differ only in
 * narrower literals on the client (header extension URIs) and fields the newer client also accepts by
 * their older names (an ICE candidate's `ip`), so no conversion exists to write: hence the one cast.
 */
function asSent<Client>(value: unknown): Client {
  return value as Client;
}
