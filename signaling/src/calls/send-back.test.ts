import { expect } from 'chai';
import {
  addMember,
  ask,
  createOrganization,
  deviceRtpCapabilities,
  joinWaitingRoom,
  login,
  professionalSocket,
  recordEvents,
  startTestServer,
  testPublicKey,
  visitorSocket,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';

/*
 * Sending a visitor back to the waiting room from a call: they wait again, first in line; their media
 * leaves the call at once and they can no longer act on it; the call goes on, and ending it later does not
 * end their visit.
 */
describe('send back to the waiting room (real server, Redis, mediasoup)', function () {
  let server: TestServer;
  let org: TestOrganization;

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services);
  });
  after(async () => {
    await server?.close();
  });

  it('puts the visitor first in line, out of the call; only the professional of the call can do it', async () => {
    const caps = await deviceRtpCapabilities(server);
    const pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    const colleague = await addMember(server.services, org.org.id);
    const other = await professionalSocket(server, (await login(server, colleague.email, colleague.password)).cookie);
    const ola = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    const kari = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann'); // arrived after Ola
    const visitor = await visitorSocket(server, ola.visitorToken);
    const admitted = await ask(pro, 'queue:admit', { visitorId: ola.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const { callId } = admitted;
    expect((await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })).ok).to.equal(true);
    const proEvents = recordEvents(pro);
    expect((await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })).ok).to.equal(true);

    const denied = await ask(other, 'call:send-back', { callId });
    expect(denied.ok === false && denied.error.code, 'a colleague not in the call').to.equal('not_found');
    const byVisitor = await ask(visitor as never, 'call:send-back' as never, { callId } as never) as { ok: boolean; error?: { code: string } };
    expect(byVisitor.ok === false && byVisitor.error!.code, 'the visitor').to.equal('bad_request');

    const heard = recordEvents(visitor);
    expect((await ask(pro, 'call:send-back', { callId })).ok).to.equal(true);
    expect(await heard.waitFor('visit:sent-back')).to.deep.equal({ callId, place: { position: 1, estimatedMinutes: null } });
    expect(await proEvents.waitFor('call:peer-left')).to.deep.equal({ callId, peerId: `visitor:${ola.visitorId}` });
    const list = await ask(pro, 'queue:list', {});
    expect(list.ok && list.visitors.map((v) => v.visitorId), 'first in line again').to.deep.equal([ola.visitorId, kari.visitorId]);

    // Out of the call: no media requests, no joining again on their own.
    const again = await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expect(again.ok === false && again.error.code).to.equal('not_found');
    expect((await ask(pro, 'call:send-back', { callId })).ok, 'twice').to.equal(false);

    // The professional ends the call: the visitor's visit goes on, and they hear nothing of it.
    expect((await ask(pro, 'call:hang-up', { callId })).ok).to.equal(true);
    const status = await ask(visitor, 'visit:status', {});
    expect(status.ok && status.visit.state).to.equal('waiting');
    expect(heard.names()).to.not.include('call:ended');
    for (const s of [pro, other, visitor]) s.disconnect();
  });
});
