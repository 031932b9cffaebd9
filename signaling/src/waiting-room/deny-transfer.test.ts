import { expect } from 'chai';
import type { QueuePlace, WaitingVisitor } from '../../protocol/index.ts';
import {
  addMember,
  ask,
  createOrganization,
  joinWaitingRoom,
  login,
  professionalSocket,
  recordEvents,
  sleep,
  startTestServer,
  visitorSocket,
  type ProfessionalClient,
  type TestMember,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import type { Room } from '../organizations/organization-store.ts';

/*
 * Admission decisions other than "admit": turning a visitor away (with a message shown to them, never
 * logged) and moving them to another room, where they keep their arrival time.
 */
describe('deny and transfer (real server, Redis)', function () {
  this.timeout(20_000);
  let server: TestServer;
  let org: TestOrganization;
  let berg: TestMember;
  let reception: Room;
  let hansen: ProfessionalClient;
  let bergSocket: ProfessionalClient;

  const code = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services, { name: 'Fjord Clinic' });
    berg = await addMember(server.services, org.org.id, { name: 'Dr. Berg' });
    reception = await server.services.organizations.createRoom(org.org.id, { slug: 'fjord-desk', name: 'Reception', kind: 'shared', members: [berg.id] });
    hansen = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    bergSocket = await professionalSocket(server, (await login(server, berg.email, berg.password)).cookie);
  });
  after(async () => {
    await server?.close();
  });

  it('a visitor turned away is told, with the message if there is one; it reaches no log; they are off every list', async () => {
    const ola = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    const socket = await visitorSocket(server, ola.visitorToken);
    const heard = recordEvents(socket);
    const message = 'Vi må dessverre flytte timen din. Ring oss på 22 33 44 55.';
    expect(code(await ask(bergSocket, 'queue:deny', { visitorId: ola.visitorId, message })), 'from a room he does not belong to').to.equal('not_found');
    expect(code(await ask(hansen, 'queue:deny', { visitorId: ola.visitorId, message: 'x'.repeat(1001) })), 'too long').to.equal('bad_request');
    expect(code(await ask(hansen, 'queue:deny', { visitorId: ola.visitorId, message: 'ring \u0007 oss' })), 'control character').to.equal('bad_request');
    expect((await server.services.waitingRoom.getVisitor(org.org.id, ola.visitorId))?.state, 'unchanged by bad input').to.equal('waiting');

    expect(code(await ask(hansen, 'queue:deny', { visitorId: ola.visitorId, message }))).to.equal('ok');
    expect(await heard.waitFor('visit:denied')).to.deep.equal({ message });
    const status = await ask(socket, 'visit:status', {});
    expect(status.ok && status.visit).to.deep.equal({ state: 'ended', reason: 'denied', message });
    const list = await ask(hansen, 'queue:list', {});
    expect(list.ok && list.visitors.map((v: WaitingVisitor) => v.visitorId)).to.not.include(ola.visitorId);
    expect(code(await ask(hansen, 'queue:deny', { visitorId: ola.visitorId })), 'twice').to.equal('not_waiting');
    expect(code(await ask(hansen, 'queue:admit', { visitorId: ola.visitorId })), 'admitted after').to.equal('not_waiting');
    expect(server.logs().join('\n')).to.not.include('flytte timen');
    socket.disconnect();
  });

  it('a visitor moved to another room keeps their arrival time there; both rooms’ dashboards and the visitor follow', async () => {
    const kari = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    await sleep(20);
    const per = await joinWaitingRoom(server, reception.slug, 'Per Hansen'); // arrived after Kari, in Reception
    const socket = await visitorSocket(server, kari.visitorToken);
    const heard = recordEvents(socket);
    const hansenHears = recordEvents(hansen);
    const bergHears = recordEvents(bergSocket);

    expect(code(await ask(hansen, 'queue:transfer', { visitorId: kari.visitorId, roomId: org.room.id })), 'to the same room').to.equal('bad_request');
    const other = await createOrganization(server.services);
    expect(code(await ask(hansen, 'queue:transfer', { visitorId: kari.visitorId, roomId: other.room.id })), 'to another organization').to.equal('not_found');
    expect(code(await ask(bergSocket, 'queue:transfer', { visitorId: kari.visitorId, roomId: reception.id })), 'by someone not in her room').to.equal('not_found');

    expect(code(await ask(hansen, 'queue:transfer', { visitorId: kari.visitorId, roomId: reception.id }))).to.equal('ok');
    const moved = await heard.waitFor<{ roomName: string; professionalName: string; place: QueuePlace }>('visit:moved');
    expect(moved).to.deep.equal({ roomName: 'Reception', professionalName: 'Reception', place: { position: 1, estimatedMinutes: null } });
    expect(await hansenHears.waitFor('queue:removed', (e: { visitorId: string }) => e.visitorId === kari.visitorId)).to.deep.include({
      reason: 'transferred',
      by: org.professional.name,
    });
    const arrived = await bergHears.waitFor<WaitingVisitor>('queue:arrived', (v) => v.visitorId === kari.visitorId);
    expect(arrived).to.deep.include({ roomId: reception.id, roomName: 'Reception' });
    const list = await ask(bergSocket, 'queue:list', {});
    expect(list.ok && list.visitors.map((v: WaitingVisitor) => v.name), 'by arrival: Kari before Per').to.deep.equal(['Kari Nordmann', 'Per Hansen']);
    const status = await ask(socket, 'visit:status', {});
    expect(status.ok && status.visit).to.deep.include({ state: 'waiting', roomName: 'Reception', professionalName: 'Reception' });
    // Dr. Test no longer sees her (need to know): she is in a room he does not belong to.
    const hansenList = await ask(hansen, 'queue:list', {});
    expect(hansenList.ok && hansenList.visitors.map((v: WaitingVisitor) => v.visitorId)).to.not.include(kari.visitorId);
    expect(code(await ask(bergSocket, 'queue:admit', { visitorId: kari.visitorId }))).to.equal('ok');
    socket.disconnect();
    await ask(bergSocket, 'queue:deny', { visitorId: per.visitorId });
  });
});
