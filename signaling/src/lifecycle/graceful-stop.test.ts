import { expect } from 'chai';
import net from 'node:net';
import { io } from 'socket.io-client';
import { NAMESPACE, type VisitState } from '../../protocol/index.ts';
import { ServerProcess } from '../../../infra/e2e/server-process.ts';
import { PERMANENT_KEY_PATTERNS } from '../redis/keys.ts';
import { freePort } from '../test-support/free-port.ts';
import { allKeysWithTtl } from '../test-support/redis-keys.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import {
  ask,
  callInProgress,
  disconnected,
  createOrganization,
  joinWaitingRoom,
  postJson,
  sleep,
  startTestServer,
  type TestServer,
  type VisitorClient,
} from '../test-support/test-server.ts';
import { eventually } from '../test-support/eventually.ts';

/**
 * A load balancer in front of two signaling processes, as plain TCP: each new connection goes to the
 * process it currently routes to (in production it stops routing to one whose /readyz fails).
 */
class Balancer {
  private readonly sockets = new Set<net.Socket>();
  private constructor(
    private readonly server: net.Server,
    readonly url: string,
    public targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<Balancer> {
    const port = await freePort();
    const server = net.createServer();
    const balancer = new Balancer(server, `http://127.0.0.1:${port}`, targetPort);
    server.on('connection', (front) => {
      const back = net.connect(balancer.targetPort, '127.0.0.1');
      for (const s of [front, back]) {
        balancer.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => (balancer.sockets.delete(s), front.destroy(), back.destroy()));
      }
      front.pipe(back).pipe(front);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    return balancer;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

const GRACE_SECONDS = 4;

/*
 * Issue 18, item 4: SIGTERM to a signaling process (a real child process) while a visitor waits and a
 * call goes on, behind a balancer that also reaches a second process on the same Redis.
 */
describe('graceful stop on SIGTERM (real child process, second process, Redis, mediasoup)', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let other: TestServer;
  let stopping: ServerProcess;
  let balancer: Balancer;
  let waiting: VisitorClient | undefined;

  before(async () => {
    redis = await startRedis();
    other = await startTestServer({ redis });
  });
  afterEach(async () => {
    waiting?.disconnect();
    await balancer?.close();
    await stopping?.stop();
  });
  after(async () => {
    await other?.close();
    await redis?.stop();
  });

  /** The process to stop, with `graceSeconds`, behind a balancer that routes to it. */
  async function startStopping(graceSeconds: number): Promise<void> {
    const { ADDRESS_HASH_KEY, DATA_ENCRYPTION_KEYS } = other.services.config;
    stopping = await ServerProcess.start(redis.url, {
      ADDRESS_HASH_KEY,
      DATA_ENCRYPTION_KEYS,
      // Both processes serve the same site: the browsers' Origin is one.
      PUBLIC_ORIGIN: other.origin,
      SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
    });
    balancer = await Balancer.start(Number(new URL(stopping.url).port));
  }

  /** Sends SIGTERM; checks that readiness is false within a second; the balancer then routes elsewhere. */
  async function sigterm(): Promise<{ sentAt: number; exited: Promise<number | null> }> {
    expect((await fetch(`${stopping.url}/readyz`)).status).to.equal(200);
    const sentAt = Date.now();
    const exited = stopping.signal('SIGTERM');
    await eventually(async () => expect((await fetch(`${stopping.url}/readyz`)).status, 'readiness').to.equal(503), { what: 'readiness false', timeoutMs: 2000, intervalMs: 0 });
    expect(Date.now() - sentAt, 'readiness false within a second').to.be.below(1000);
    balancer.targetPort = Number(new URL(other.url).port);
    return { sentAt, exited };
  }

  /** Nothing half-done: every key about a visitor or a call still has its TTL (SCAN + PTTL of every key). */
  async function keysWithoutTtl(): Promise<string[]> {
    const all = await allKeysWithTtl(redis.client);
    return [...all].filter(([key, ttl]) => ttl < 0 && !PERMANENT_KEY_PATTERNS.some((p) => p.test(key))).map(([key]) => key);
  }

  it('readiness false at once, check-ins refused, waiting visitor reconnects elsewhere keeping their place, the call gets its grace, exit in time, every key keeps its TTL', async () => {
    await startStopping(GRACE_SECONDS);
    const org = await createOrganization(other.services);
    // Everything the browsers do goes through the balancer, to the process about to stop.
    const front: TestServer = { ...other, url: balancer.url };
    const call = await callInProgress(front, org, 'Ola Nordmann');
    const visit = await joinWaitingRoom(front, org.room.slug, 'Kari Nordmann');
    // A waiting visitor's page: Socket.IO with reconnection on, as the visitor app (client/src/visit-session.ts).
    waiting = io(`${balancer.url}${NAMESPACE.visitor}`, {
      transports: ['websocket'],
      extraHeaders: { origin: other.origin },
      auth: { token: visit.visitorToken },
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    }) as VisitorClient;
    await new Promise((r) => waiting!.once('connect', () => r(undefined)));
    const status = () => waiting!.timeout(5000).emitWithAck('visit:status', {}) as Promise<{ ok: boolean; visit: VisitState }>;
    const before = await status();
    expect(before.visit).to.include({ state: 'waiting' });
    const reasons: string[] = [];
    waiting.on('disconnect', (reason) => reasons.push(reason));
    const reconnected = new Promise((r) => waiting!.io.once('reconnect', r));

    const { sentAt, exited } = await sigterm();

    // No new check-in on this process: a coded error the visitor app retries on; nothing written.
    const refused = await postJson({ ...other, url: stopping.url }, '/api/visits', { roomSlug: org.room.slug, answers: { name: 'Per Hansen' } });
    expect(refused.status).to.equal(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('shutting_down');

    // The waiting visitor is told to reconnect, lands on the other process and keeps their place.
    await reconnected;
    expect(reasons).to.deep.equal(['transport close']);
    const after = await status();
    expect(after.visit.state).to.equal('waiting');
    expect(after.visit).to.deep.equal(before.visit);

    // The call goes on while the grace lasts.
    await sleep(1500);
    expect(call.pro.connected && call.visitor.connected, 'both sides of the call still connected').to.equal(true);

    // Then the process exits, within the limit.
    const code = await exited;
    const took = Date.now() - sentAt;
    expect(code).to.equal(0);
    expect(took, 'the call had its grace').to.be.at.least(GRACE_SECONDS * 1000 - 500);
    expect(took, 'exit within the grace and a few seconds to close').to.be.below(GRACE_SECONDS * 1000 + 5000);
    expect(call.visitor.connected || call.pro.connected, 'the call moved off the stopped process').to.equal(false);
    expect(stopping.logs.join('')).to.include('grace over');

    expect(await keysWithoutTtl(), 'keys without a TTL').to.deep.equal([]);
  });

  it('a call that ends during the grace lets the process exit right away; the professional is told to reconnect', async () => {
    await startStopping(60);
    const org = await createOrganization(other.services);
    const call = await callInProgress({ ...other, url: balancer.url }, org, 'Ola Nordmann');
    const proLeft = disconnected(call.pro, 20_000);
    const { exited } = await sigterm();

    await sleep(1000);
    expect(call.pro.connected && call.visitor.connected, 'the call goes on').to.equal(true);
    const hungUpAt = Date.now();
    expect(await ask(call.pro, 'call:hang-up', { callId: call.callId })).to.deep.equal({ ok: true });

    // Its connections were all that kept the process: it exits at once, not at the end of the minute.
    expect(await proLeft).to.equal('transport close');
    expect(await exited).to.equal(0);
    expect(Date.now() - hungUpAt, 'exit soon after the call ended').to.be.below(8000);
    expect((await other.services.calls.get(org.org.id, call.callId))?.state).to.equal('ended');
    expect(await keysWithoutTtl(), 'keys without a TTL').to.deep.equal([]);
  });
});
