import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { connectRedis } from '../redis/connection.ts';
import { keys } from '../redis/keys.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { eventually } from '../test-support/eventually.ts';
import { ManualClock } from '../test-support/manual-clock.ts';
import {
  ask,
  createOrganization,
  disconnected,
  joinWaitingRoom,
  login,
  memberApi,
  professionalSocket,
  recordEvents,
  refusedConnection,
  sleep,
  startTestServer,
  type TestServer,
} from '../test-support/test-server.ts';
import { SessionStore } from './session-store.ts';

const ORG = 'a'.repeat(32);
const PRO = 'b'.repeat(32);

/*
 * A login ends after 30 idle minutes and after 12 hours at most. Here with the same code on a real Redis,
 * in milliseconds: the clock of the absolute limit is passed in, the idle limit is Redis's own TTL.
 */
describe('login sessions expire when idle and at their maximum age (real Redis)', function () {
  let redisServer: TestRedis;
  let redis: Redis;

  before(async () => {
    redisServer = await startRedis();
    redis = connectRedis(redisServer.url);
  });
  after(async () => {
    redis.disconnect();
    await redisServer.stop();
  });

  it('an idle session is gone after the idle time, and activity keeps it alive past it', async () => {
    const sessions = new SessionStore(redis, 400, 60_000);
    const idle = await sessions.create(ORG, PRO);
    const active = await sessions.create(ORG, PRO);
    for (let i = 0; i < 4; i++) {
      await sleep(200);
      expect(await sessions.touch(active.session), `touch ${i}`).to.equal(true);
    }
    // 800 ms later: the untouched one is gone, the touched one lives.
    expect(await sessions.resolve(idle.cookieValue)).to.equal(null);
    expect(await sessions.isAlive(idle.session)).to.equal(false);
    expect((await sessions.resolve(active.cookieValue))?.professionalId).to.equal(PRO);
    expect(await sessions.isAlive(active.session)).to.equal(true);
  });

  it('a session past its maximum age is refused and deleted, however active it was', async () => {
    const maxAge = 12 * 3600_000;
    const sessions = new SessionStore(redis, 30 * 60_000, maxAge);
    const createdAt = Date.now();
    const { cookieValue, session } = await sessions.create(ORG, PRO, {}, createdAt);
    expect(await sessions.resolve(cookieValue, createdAt + maxAge - 1000)).not.to.equal(null);
    // Close to the end, activity renews it only up to the maximum age, not by a whole idle period.
    const ttl = await redis.pttl(keys.session(ORG, session.sessionHash));
    expect(ttl).to.be.at.most(1000).and.above(0);

    expect(await sessions.touch(session, createdAt + maxAge)).to.equal(false);
    expect(await sessions.isAlive(session, createdAt + maxAge)).to.equal(false);
    expect(await sessions.resolve(cookieValue, createdAt + maxAge)).to.equal(null);
    expect(await redis.exists(keys.session(ORG, session.sessionHash))).to.equal(0);
  });

  it('a fresh session has the idle time as its TTL, and stores only the hash of its secret', async () => {
    const sessions = new SessionStore(redis, 30 * 60_000, 12 * 3600_000);
    const { cookieValue, session } = await sessions.create(ORG, PRO);
    const key = keys.session(ORG, session.sessionHash);
    const ttl = await redis.pttl(key);
    expect(ttl).to.be.above(29 * 60_000).and.at.most(30 * 60_000);
    const secret = cookieValue.split('.')[1]!;
    expect(secret).to.have.length(43); // 256 bits, base64url
    expect(key).not.to.contain(secret);
    expect(JSON.stringify(await redis.hgetall(key))).not.to.contain(secret);
  });
});

describe('an open dashboard whose session expired is closed (real server)', function () {
  let server: TestServer;
  /** The server's timers: the session checks run when the test moves this clock. */
  const clock = new ManualClock();
  const checkMs = 1000;

  before(async () => {
    server = await startTestServer({ clock, env: { SESSION_CHECK_SECONDS: String(checkMs / 1000) } });
  });
  after(async () => {
    await server?.close();
  });

  it('gets session:ended and is disconnected, hears of no later arrival, and the cookie is dead', async () => {
    const org = await createOrganization(server.services);
    const { cookie } = await login(server, org.professional.email, org.professional.password);
    const socket = await professionalSocket(server, cookie);
    const events = recordEvents(socket);
    expect((await ask(socket, 'queue:list', {})).ok).to.equal(true);
    const closing = disconnected(socket, 10_000);

    // The idle timeout passing, as Redis would let it: the session key expires.
    const sessionKeys = await server.redis.client.keys(`{org:${org.org.id}}:session:*`);
    expect(sessionKeys).to.have.length(1);
    await server.redis.client.pexpire(sessionKeys[0]!, 1);
    await eventually(async () => expect(await server.redis.client.exists(sessionKeys[0]!)).to.equal(0), { what: 'the session key expired' });
    await clock.advance(checkMs);

    await events.waitFor('session:ended', undefined, 10_000);
    expect(await closing).to.equal('io server disconnect');
    // The sentinel: a dashboard still logged in hears the arrival, so the closed one would have by now.
    const stillOpen = recordEvents(await professionalSocket(server, (await memberApi(server, org.org.id, org.professional.id)).cookie));
    const later = await joinWaitingRoom(server, org.room.slug, 'Arrives Later');
    await stillOpen.waitFor('queue:arrived', (v: { visitorId: string }) => v.visitorId === later.visitorId);
    expect(events.names()).not.to.include('queue:arrived');
    expect((await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).status).to.equal(401);
    expect(await refusedConnection(professionalSocket(server, cookie))).to.equal('unauthorized');
  });

  it('a live session is not closed by the check', async () => {
    const org = await createOrganization(server.services);
    const { cookie } = await login(server, org.professional.email, org.professional.password);
    const socket = await professionalSocket(server, cookie);
    const events = recordEvents(socket);
    await clock.advance(2 * checkMs); // two checks, each done when this resolves
    // The sentinel: a session:ended of those checks would have reached this socket before a later arrival.
    await joinWaitingRoom(server, org.room.slug, 'Still Heard');
    await events.waitFor('queue:arrived');
    expect(socket.connected).to.equal(true);
    expect(events.names()).not.to.include('session:ended');
  });
});
