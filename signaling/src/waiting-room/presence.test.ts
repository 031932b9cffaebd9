import { expect } from 'chai';
import type { WaitingVisitor } from '../../protocol/index.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { keys } from '../redis/keys.ts';
import { eventually } from '../test-support/eventually.ts';
import {
  ask,
  createOrganization,
  joinWaitingRoom,
  login,
  professionalSocket,
  recordEvents,
  refusedConnection,
  roundTrip,
  startTestServer,
  visitorSocket,
  type ProfessionalClient,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';

const GRACE_SECONDS = 2;
/** What the presence heartbeat (every 5 s) adds to a connected visitor's deadline, on top of the grace period. */
const HEARTBEATS_MS = 2 * 5_000;

/*
 * A waiting visitor whose connection drops keeps their place for the grace period (2 s here, 20 s by
 * default): the dashboards see "connection lost", and coming back within it restores the same place with
 * nothing typed again. Past it they are taken off the list and the professional sees why. It is kept in
 * Redis, so it holds across a restart of the signaling process. The server keeps presence deadlines by the
 * test's clock, so the seconds pass when the test says (and it runs the heartbeats and sweeps itself).
 */
describe('presence: connection lost, the grace period, and coming back (real server, Redis)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let server: TestServer;
  let org: TestOrganization;
  let pro: ProfessionalClient;

  const env = { VISITOR_GRACE_SECONDS: String(GRACE_SECONDS) };
  // The clock presence deadlines are kept by: it stands still but when the test makes time pass.
  let clockMs = Date.now();
  const now = () => clockMs;
  const pass = (ms: number) => {
    clockMs += ms;
  };
  const listOf = async (socket: ProfessionalClient) => {
    const res = await ask(socket, 'queue:list', {});
    if (!res.ok) throw new Error(JSON.stringify(res));
    return res.visitors.map((v: WaitingVisitor) => ({ name: v.name, online: v.online, arrivedAt: v.arrivedAt }));
  };

  before(async () => {
    redis = await startRedis();
    server = await startTestServer({ redis, env, now });
    org = await createOrganization(server.services);
    pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
  });
  after(async () => {
    await server?.close();
    await redis?.stop();
  });

  it('a dropped connection shows as lost; back within the grace period, the same place, online again', async () => {
    const events = recordEvents(pro);
    const ola = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    const kari = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    const olaSocket = await visitorSocket(server, ola.visitorToken);
    const kariSocket = await visitorSocket(server, kari.visitorToken);
    const before = await listOf(pro);
    expect(before.map((v) => [v.name, v.online])).to.deep.equal([
      ['Ola Nordmann', true],
      ['Kari Nordmann', true],
    ]);

    olaSocket.disconnect();
    expect(await events.waitFor('queue:presence', (e: { visitorId: string }) => e.visitorId === ola.visitorId)).to.deep.include({ online: false });
    expect((await listOf(pro)).map((v) => v.online)).to.deep.equal([false, true]);

    pass(GRACE_SECONDS * 500);
    const back = await visitorSocket(server, ola.visitorToken);
    await events.waitFor('queue:presence', (e: { visitorId: string; online: boolean }) => e.visitorId === ola.visitorId && e.online);
    const status = await ask(back, 'visit:status', {});
    expect(status.ok && status.visit.state).to.equal('waiting');
    // Past the deadline the drop set: a sweep lets no one go.
    pass(GRACE_SECONDS * 1000 + 1500);
    await server.presence.sweep();
    // Still first in line, arrival time unchanged, nothing lost.
    expect(await listOf(pro)).to.deep.equal(before);
    back.disconnect();
    kariSocket.disconnect();
    for (const v of [ola, kari]) {
      const visitor = await server.services.waitingRoom.getVisitor(org.org.id, v.visitorId);
      if (visitor?.state === 'waiting') await server.services.waitingRoom.leave(visitor);
    }
  });

  it('past the grace period the visitor is taken off the list, the professional sees why, and the visitor is told', async () => {
    const events = recordEvents(pro);
    const per = await joinWaitingRoom(server, org.room.slug, 'Per Hansen');
    const socket = await visitorSocket(server, per.visitorToken);
    await eventually(async () => (await server.redis.client.zscore(`{org:${org.org.id}}:presence`, per.visitorId)) !== null, { what: 'Per online' });
    const droppedAt = now();
    socket.disconnect();
    await events.waitFor('queue:presence', (e: { visitorId: string; online: boolean }) => e.visitorId === per.visitorId && !e.online);
    // Just before the grace period ends, a sweep lets them be (the dashboard's answer after it shows nothing came).
    pass(GRACE_SECONDS * 1000 - 100);
    await server.presence.sweep();
    await roundTrip(pro);
    expect(events.events.some((e) => e.event === 'queue:removed' && (e.args[0] as { visitorId: string }).visitorId === per.visitorId), 'not removed yet').to.equal(false);
    pass(200);
    await server.presence.sweep();
    const removed = await events.waitFor('queue:removed', (e: { visitorId: string }) => e.visitorId === per.visitorId, 10_000);
    expect(removed).to.deep.equal({ visitorId: per.visitorId, roomId: org.room.id, reason: 'connection_lost' });
    expect(now() - droppedAt, 'not before the grace period').to.be.at.least(GRACE_SECONDS * 1000 - 50);
    expect((await listOf(pro)).map((v) => v.name)).to.not.include('Per Hansen');
    const again = await visitorSocket(server, per.visitorToken);
    const status = await ask(again, 'visit:status', {});
    expect(status.ok && status.visit).to.deep.equal({ state: 'ended', reason: 'connection_lost' });
    again.disconnect();
    // The watch list keeps nothing about them.
    expect(await server.redis.client.zscore(`{org:${org.org.id}}:presence`, per.visitorId)).to.equal(null);
  });

  it('a connection with a wrong token marks nobody online and names no organization for the sweep', async () => {
    const events = recordEvents(pro);
    const ola = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    const socket = await visitorSocket(server, ola.visitorToken);
    socket.disconnect();
    await events.waitFor('queue:presence', (e: { visitorId: string; online: boolean }) => e.visitorId === ola.visitorId && !e.online);
    const [orgId, visitorId] = ola.visitorToken.split('.');
    const madeUpOrg = 'a'.repeat(32);
    const secret = 'x'.repeat(43);
    expect(await refusedConnection(visitorSocket(server, `${orgId}.${visitorId}.${secret}`)), 'her id, another secret').to.equal('not_found');
    expect(await refusedConnection(visitorSocket(server, `${madeUpOrg}.${'b'.repeat(32)}.${secret}`)), 'made up').to.equal('not_found');
    expect(await server.redis.client.hget(keys.visitor(orgId!, visitorId!), 'presence')).to.equal('lost');
    expect(await server.redis.client.sismember(keys.presenceOrganizations(), madeUpOrg)).to.equal(0);
    const visitor = await server.services.waitingRoom.getVisitor(org.org.id, ola.visitorId);
    if (visitor?.state === 'waiting') await server.services.waitingRoom.leave(visitor);
  });

  it('holds across a restart of the signaling process: whoever comes back in time keeps their place, whoever does not is let go', async () => {
    const stays = await joinWaitingRoom(server, org.room.slug, 'Stays Nordmann');
    const goes = await joinWaitingRoom(server, org.room.slug, 'Goes Nordmann');
    const staysSocket = await visitorSocket(server, stays.visitorToken);
    const goesSocket = await visitorSocket(server, goes.visitorToken);
    await eventually(async () => (await server.redis.client.zcard(`{org:${org.org.id}}:presence`)) === 2, { what: 'both online' });
    await server.close();
    staysSocket.disconnect();
    goesSocket.disconnect();

    server = await startTestServer({ redis, env, now });
    pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    const events = recordEvents(pro);
    const back = await visitorSocket(server, stays.visitorToken);
    await roundTrip(back); // the new process knows them as connected here (its heartbeats include them)
    // The old process's last heartbeat promised them the grace period plus two heartbeats (12 s here); the
    // new process's heartbeats keep the one who came back meanwhile.
    pass(HEARTBEATS_MS / 2);
    await server.presence.heartbeat();
    pass(GRACE_SECONDS * 1000 + HEARTBEATS_MS / 2 + 1000);
    await server.presence.heartbeat();
    await server.presence.sweep();
    const removed = await events.waitFor('queue:removed', (e: { visitorId: string; reason: string }) => e.visitorId === goes.visitorId, 20_000);
    expect(removed.reason).to.equal('connection_lost');
    const list = await listOf(pro);
    expect(list.map((v) => [v.name, v.online])).to.deep.equal([['Stays Nordmann', true]]);
    back.disconnect();
  });
});
