import { expect } from 'chai';
import {
  ask,
  createOrganization,
  deviceRtpCapabilities,
  joinWaitingRoom,
  login,
  professionalSocket,
  recordEvents,
  startTestServer,
  visitorSocket,
  type ProfessionalClient,
  type TestOrganization,
  type TestServer,
  type VisitorClient,
  testPublicKey,
} from '../test-support/test-server.ts';
import { eventually } from '../test-support/eventually.ts';

/*
 * A mediasoup worker process dies mid-call (real worker, SIGKILL): both participants are told the call lost
 * its media, the pool starts a replacement, and joining again gives working transports on the new worker.
 */
describe('a mediasoup worker dies during a call (real server, real worker)', function () {
  let server: TestServer;
  let org: TestOrganization;
  let pro: ProfessionalClient;
  let caps: Record<string, unknown>;

  before(async () => {
    server = await startTestServer({ env: { MEDIA_WORKERS: '1' } });
    org = await createOrganization(server.services);
    pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    caps = await deviceRtpCapabilities(server);
  });
  after(async () => {
    await server?.close();
  });

  it('tells both sides call:media-lost, replaces the worker, and a new call:join succeeds', async () => {
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    const visitor: VisitorClient = await visitorSocket(server, visit.visitorToken);
    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const { callId } = admitted;
    const visitorEvents = recordEvents(visitor);
    const proEvents = recordEvents(pro);
    await visitorEvents.waitFor('visit:admitted');

    const vJoin = await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    const pJoin = await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expect(vJoin.ok, JSON.stringify(vJoin)).to.equal(true);
    expect(pJoin.ok, JSON.stringify(pJoin)).to.equal(true);

    const pidsBefore = server.services.media.workerPids;
    expect(pidsBefore).to.have.length(1);
    process.kill(pidsBefore[0]!, 'SIGKILL');

    const [vLost, pLost] = await Promise.all([visitorEvents.waitFor('call:media-lost'), proEvents.waitFor('call:media-lost')]);
    expect(vLost).to.deep.equal({ callId });
    expect(pLost).to.deep.equal({ callId });

    await eventually(() => server.services.media.workerPids.length === 1 && server.services.media.workerPids[0] !== pidsBefore[0], {
      what: 'the pool replaced the worker',
      timeoutMs: 15_000,
    });
    const pidsAfter = server.services.media.workerPids;
    expect(pidsAfter).to.have.length(pidsBefore.length);
    expect(pidsAfter).not.to.include(pidsBefore[0]);
    expect(() => process.kill(pidsAfter[0]!, 0), 'the new worker process is alive').not.to.throw();
    expect(server.logs().some((l) => l.includes('mediasoup worker died'))).to.equal(true);

    // Both join again: fresh transports on the new worker, and they see each other.
    const vRejoin = await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expect(vRejoin.ok, JSON.stringify(vRejoin)).to.equal(true);
    const pRejoin = await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expect(pRejoin.ok, JSON.stringify(pRejoin)).to.equal(true);
    if (!vRejoin.ok || !pRejoin.ok || !vJoin.ok) return;
    expect(vRejoin.sendTransport.iceCandidates.length).to.be.greaterThan(0);
    expect(vRejoin.sendTransport.id).not.to.equal(vJoin.sendTransport.id);
    expect(pRejoin.peers.map((p) => p.role)).to.deep.equal(['visitor']);
    expect(server.services.media.existingRouter(callId)?.isClosed).to.equal(false);

    // The call goes on as usual afterwards.
    expect((await ask(visitor, 'call:hang-up', { callId })).ok).to.equal(true);
    await proEvents.waitFor('call:ended');
    // Each side heard of the loss exactly once.
    expect(visitorEvents.names().filter((n) => n === 'call:media-lost')).to.have.length(1);
    expect(proEvents.names().filter((n) => n === 'call:media-lost')).to.have.length(1);
    visitor.disconnect();
  });

  it('a new call after the replacement gets media too', async () => {
    const visit = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    const visitor = await visitorSocket(server, visit.visitorToken);
    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const join = await ask(visitor, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expect(join.ok, JSON.stringify(join)).to.equal(true);
    expect((await ask(pro, 'call:hang-up', { callId: admitted.callId })).ok).to.equal(true);
    visitor.disconnect();
  });
});
