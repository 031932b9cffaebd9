import { expect } from 'chai';
import { DEFAULT_CHECK_IN, type QueueRoom, type WaitingVisitor } from '../../protocol/index.ts';
import {
  addMember,
  ask,
  createOrganization,
  joinWaitingRoom,
  login,
  professionalSocket,
  recordEvents,
  roundTrip,
  startTestServer,
  type ProfessionalClient,
  type TestMember,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import type { Room } from '../organizations/organization-store.ts';

/*
 * Many professionals and rooms in one organization: each professional sees and acts only on the rooms
 * they belong to (their own, and the shared rooms they were chosen for); admins see all. An admission
 * shows on every other dashboard of the room at once, and of two professionals admitting one visitor,
 * exactly one wins.
 */
describe('rooms and members: need to know, "taken by", and the admission race (real server, Redis)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let org: TestOrganization;
  let berg: TestMember;
  let admin: TestMember;
  let reception: Room;
  let hansen: ProfessionalClient;
  let bergSocket: ProfessionalClient;
  let adminSocket: ProfessionalClient;

  const code = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);
  const socketOf = async (m: { email: string; password: string }) => professionalSocket(server, (await login(server, m.email, m.password)).cookie);

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services, { name: 'Fjord Clinic' });
    berg = await addMember(server.services, org.org.id, { name: 'Dr. Berg' });
    admin = await addMember(server.services, org.org.id, { name: 'Anne Admin', role: 'admin' });
    reception = await server.services.organizations.createRoom(org.org.id, {
      slug: `reception-${org.org.id.slice(0, 6)}`,
      name: 'Clinic reception',
      kind: 'shared',
      members: [org.professional.id, berg.id],
    });
    hansen = await socketOf(org.professional);
    bergSocket = await socketOf(berg);
    adminSocket = await socketOf(admin);
  });
  after(async () => {
    await server?.close();
  });

  it('lists to each member only their rooms and the visitors in them; admins see every room', async () => {
    const ola = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    const kari = await joinWaitingRoom(server, berg.room.slug, 'Kari Nordmann');
    const per = await joinWaitingRoom(server, reception.slug, 'Per Hansen');
    const listOf = async (socket: ProfessionalClient) => {
      const res = await ask(socket, 'queue:list', {});
      if (!res.ok) throw new Error(JSON.stringify(res));
      return { rooms: res.rooms.map((r: QueueRoom) => r.name), visitors: res.visitors.map((v: WaitingVisitor) => v.name).sort() };
    };
    expect(await listOf(hansen)).to.deep.equal({ rooms: [org.professional.name, 'Clinic reception'], visitors: ['Ola Nordmann', 'Per Hansen'] });
    expect(await listOf(bergSocket)).to.deep.equal({ rooms: ['Dr. Berg', 'Clinic reception'], visitors: ['Kari Nordmann', 'Per Hansen'] });
    const all = await listOf(adminSocket);
    expect(all.rooms).to.have.members([org.professional.name, 'Dr. Berg', 'Anne Admin', 'Clinic reception']);
    expect(all.visitors).to.deep.equal(['Kari Nordmann', 'Ola Nordmann', 'Per Hansen']);
    // A shared room's visitors are told the room, not one professional, is expecting them.
    const info = await (await fetch(`${server.url}/api/rooms/${reception.slug}`)).json();
    expect(info).to.deep.equal({ name: 'Clinic reception', professionalName: 'Clinic reception', timeZone: 'Europe/Oslo', checkIn: DEFAULT_CHECK_IN, price: null, privacyPage: `/privacy/${org.org.id}` });
    for (const v of [ola, kari, per]) await server.services.waitingRoom.leave((await server.services.waitingRoom.getVisitor(org.org.id, v.visitorId))!);
  });

  it("a professional hears nothing of another's room and cannot admit from it (not_found, as if unknown)", async () => {
    const heardByBerg = recordEvents(bergSocket);
    const heardByAdmin = recordEvents(adminSocket);
    const before = heardByBerg.events.length;
    const ola = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    await heardByAdmin.waitFor<WaitingVisitor>('queue:arrived', (v) => v.visitorId === ola.visitorId);
    await roundTrip(bergSocket);
    expect(heardByBerg.events.slice(before).map((e) => e.event), 'Dr. Berg hears of no arrival in Dr. Test’s room').to.deep.equal([]);
    expect(code(await ask(bergSocket, 'queue:admit', { visitorId: ola.visitorId }))).to.equal('not_found');
    expect((await server.services.waitingRoom.getVisitor(org.org.id, ola.visitorId))?.state).to.equal('waiting');
    // The admin may act on every room.
    const admitted = await ask(adminSocket, 'queue:admit', { visitorId: ola.visitorId });
    expect(code(admitted)).to.equal('ok');
    await heardByAdmin.waitFor('queue:removed', (e: { visitorId: string }) => e.visitorId === ola.visitorId);
    await roundTrip(bergSocket);
    expect(heardByBerg.events.slice(before).map((e) => e.event), 'nor of its admission').to.deep.equal([]);
  });

  it('an admission in a shared room shows on every other dashboard of it as taken by that professional', async () => {
    const heardByBerg = recordEvents(bergSocket);
    const heardByAdmin = recordEvents(adminSocket);
    const per = await joinWaitingRoom(server, reception.slug, 'Per Hansen');
    await heardByBerg.waitFor<WaitingVisitor>('queue:arrived', (v) => v.visitorId === per.visitorId && v.roomId === reception.id);
    expect(code(await ask(hansen, 'queue:admit', { visitorId: per.visitorId }))).to.equal('ok');
    const removed = { visitorId: per.visitorId, roomId: reception.id, reason: 'admitted', by: org.professional.name };
    expect(await heardByBerg.waitFor('queue:removed', (e: { visitorId: string }) => e.visitorId === per.visitorId)).to.deep.equal(removed);
    expect(await heardByAdmin.waitFor('queue:removed', (e: { visitorId: string }) => e.visitorId === per.visitorId)).to.deep.equal(removed);
    expect(code(await ask(bergSocket, 'queue:admit', { visitorId: per.visitorId })), 'Dr. Berg a moment later').to.equal('already_admitted');
  });

  it('of 100 concurrent admissions of one visitor by two professionals on several dashboards, exactly one wins; the rest get already_admitted', async () => {
    const sockets = [hansen, bergSocket, await socketOf(org.professional), await socketOf(berg)];
    const kari = await joinWaitingRoom(server, reception.slug, 'Kari Nordmann');
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => ask(sockets[i % sockets.length]!, 'queue:admit', { visitorId: kari.visitorId })));
    const codes = results.map(code);
    expect(codes.filter((c) => c === 'ok')).to.have.length(1);
    expect(codes.filter((c) => c === 'already_admitted')).to.have.length(99);
    const visitor = await server.services.waitingRoom.getVisitor(org.org.id, kari.visitorId);
    const winner = results.find((r) => r.ok) as { callId: string };
    expect(visitor).to.deep.include({ state: 'in_call', callId: winner.callId });
    const call = await server.services.calls.get(org.org.id, winner.callId);
    expect(call?.visitorId).to.equal(kari.visitorId);
  });
});
