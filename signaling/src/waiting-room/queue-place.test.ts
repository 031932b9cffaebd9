import { expect } from 'chai';
import type { QueuePlace } from '../../protocol/index.ts';
import {
  addMember,
  ask,
  createOrganization,
  joinWaitingRoom,
  login,
  professionalSocket,
  recordEvents,
  startTestServer,
  visitorSocket,
  type TestOrganization,
  type TestServer,
  type VisitorClient,
} from '../test-support/test-server.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';
import { eventually } from '../test-support/eventually.ts';
import { announceLine, PLACES_PER_TURN } from './queue-place.ts';

/** Seeds a room's recent call lengths as ended calls leave them (newest first). */
const recordCallLength = (s: Services, orgId: string, roomId: string, ms: number) => s.redis.lpush(keys.roomCallLengths(orgId, roomId), ms);

/*
 * A waiting visitor sees their place in line and an estimated wait (from the room's recent call lengths,
 * shared by its professionals), updated live when someone ahead goes; nothing else about the others.
 */
describe('queue place and estimated wait (real server, Redis)', function () {
  this.timeout(20_000);
  let server: TestServer;
  let org: TestOrganization;

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services);
  });
  after(async () => {
    await server?.close();
  });

  const statusOf = async (socket: VisitorClient) => {
    const res = await ask(socket, 'visit:status', {});
    if (!res.ok || res.visit.state !== 'waiting') throw new Error(JSON.stringify(res));
    return res.visit.place;
  };

  it('gives each visitor their place, an estimate once calls were timed, and a new place when someone ahead goes', async () => {
    const pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    const visits = [];
    for (const name of ['Ola', 'Kari', 'Per']) {
      const v = await joinWaitingRoom(server, org.room.slug, name);
      visits.push({ ...v, socket: await visitorSocket(server, v.visitorToken) });
    }
    const [ola, kari, per] = visits as [(typeof visits)[0], (typeof visits)[0], (typeof visits)[0]];
    expect(await statusOf(ola.socket)).to.deep.equal({ position: 1, estimatedMinutes: null });
    expect(await statusOf(per.socket)).to.deep.equal({ position: 3, estimatedMinutes: null });

    // Recent calls in this room took 10, 20 and 30 minutes: the median, 20 minutes, per person ahead.
    for (const minutes of [10, 30, 20]) await recordCallLength(server.services, org.org.id, org.room.id, minutes * 60_000);
    expect(await statusOf(kari.socket)).to.deep.equal({ position: 2, estimatedMinutes: 40 });

    const kariHears = recordEvents(kari.socket);
    const perHears = recordEvents(per.socket);
    expect((await ask(pro, 'queue:admit', { visitorId: ola.visitorId })).ok).to.equal(true);
    expect(await kariHears.waitFor<QueuePlace>('visit:place')).to.deep.equal({ position: 1, estimatedMinutes: 20 });
    expect(await perHears.waitFor<QueuePlace>('visit:place')).to.deep.equal({ position: 2, estimatedMinutes: 40 });

    expect((await ask(kari.socket, 'visit:leave', {})).ok).to.equal(true);
    expect(await perHears.waitFor<QueuePlace>('visit:place', (p) => p.position === 1)).to.deep.equal({ position: 1, estimatedMinutes: 20 });
    for (const v of visits) v.socket.disconnect();
  });

  it("a shared room's professionals share the line: the estimate is divided among them", async () => {
    const second = await addMember(server.services, org.org.id);
    const shared = await server.services.organizations.createRoom(org.org.id, {
      slug: 'shared-line',
      name: 'Reception',
      kind: 'shared',
      members: [org.professional.id, second.id],
    });
    await recordCallLength(server.services, org.org.id, shared.id, 30 * 60_000);
    const visit = await joinWaitingRoom(server, shared.slug, 'Nils');
    const socket = await visitorSocket(server, visit.visitorToken);
    expect(await statusOf(socket)).to.deep.equal({ position: 1, estimatedMinutes: 15 });
    socket.disconnect();
    // The server has taken the disconnect in (the visitor shows as connection lost) before it closes.
    await eventually(async () => (await server.redis.client.hget(keys.visitor(org.org.id, visit.visitorId), 'presence')) === 'lost', { what: 'Nils shown as connection lost' });
  });

  it('tells a long line in slices, between which other work runs, and a newer reading of the line takes over', async () => {
    const room = await server.services.organizations.createRoom(org.org.id, { slug: 'long-line', name: 'Long line', kind: 'shared', members: [org.professional.id] });
    const tokens: string[] = [];
    for (let i = 0; i < 2 * PLACES_PER_TURN + 50; i++) tokens.push((await server.services.waitingRoom.join(room, { name: `Visitor ${i}` }, Date.now() + i)).visitorToken);
    const first = await visitorSocket(server, tokens[0]!);
    const last = await visitorSocket(server, tokens.at(-1)!);
    const firstHears = recordEvents(first);
    const lastHears = recordEvents(last);
    const line = await server.redis.client.zrange(keys.waiting(org.org.id, room.id), '0', '-1');
    expect(line).to.have.length(tokens.length);

    // Read once with everyone, then again after the first visitor went (as two admissions would).
    const order: string[] = [];
    setImmediate(() => order.push('other work'));
    const older = announceLine(server.services, org.org.id, room.id, { line, lengths: [], professionals: 1 }).then(() => order.push('older told'));
    const newer = announceLine(server.services, org.org.id, room.id, { line: line.slice(1), lengths: [], professionals: 1 }).then(() => order.push('newer told'));
    await Promise.all([older, newer]);
    // The older one stopped at its second slice; the newer one's slices let other work run in between.
    expect(order).to.deep.equal(['other work', 'older told', 'newer told']);

    // A sentinel after both, so every place they sent has arrived.
    const lastId = line.at(-1)!;
    server.services.notify.place(org.org.id, lastId, { position: 9999, estimatedMinutes: null });
    await lastHears.waitFor<QueuePlace>('visit:place', (p) => p.position === 9999);
    const placesOf = (hears: typeof lastHears) => hears.events.filter((e) => e.event === 'visit:place').map((e) => (e.args[0] as QueuePlace).position);
    // Past the first slice the older reading never got to them: only the newer place, then the sentinel.
    expect(placesOf(lastHears)).to.deep.equal([line.length - 1, 9999]);
    // The first visitor is in the older reading's first slice only (the newer one has them gone).
    await eventually(() => placesOf(firstHears).length === 1, { what: "the first visitor's place" });
    expect(placesOf(firstHears)).to.deep.equal([1]);
    first.disconnect();
    last.disconnect();
  });
});
