import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { CallJoined } from '../../protocol/index.ts';
import {
  ask,
  createOrganization,
  deviceRtpCapabilities,
  joinWaitingRoom,
  login,
  professionalSocket,
  startTestServer,
  visitorSocket,
  type ProfessionalClient,
  type TestServer,
  type VisitorClient,
  testPublicKey,
} from '../test-support/test-server.ts';

/*
 * Media requests after call:join, against real mediasoup. WebRTC parameters pass the protocol's schema as
 * bounded records and are checked by mediasoup itself; what mediasoup refuses is the caller's fault and must
 * come back as bad_request (principle 4), not as an internal error, and media ids of the other participant
 * must be as unknown as made-up ones.
 */
describe('media requests inside a call (real server, real mediasoup)', function () {
  let server: TestServer;
  let pro: ProfessionalClient;
  let visitor: VisitorClient;
  let callId: string;
  let proJoin: CallJoined;
  let visitorJoin: CallJoined;

  const errorLogLines = () => server.logs().filter((l) => (JSON.parse(l) as { level: number }).level >= 50);

  before(async () => {
    server = await startTestServer();
    const org = await createOrganization(server.services);
    const caps = await deviceRtpCapabilities(server);
    pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    visitor = await visitorSocket(server, visit.visitorToken);
    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    callId = admitted.callId;
    const v = await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    const p = await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    if (!v.ok || !p.ok) throw new Error(JSON.stringify({ v, p }));
    visitorJoin = v;
    proJoin = p;
  });
  after(async () => {
    await server?.close();
  });

  it("the other participant's transport ids, and made-up consumer and producer ids, are not_found", async () => {
    const dtlsParameters = { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB' }] };
    for (const transportId of [visitorJoin.sendTransport.id, visitorJoin.recvTransport.id, randomUUID()]) {
      const connect = await ask(pro, 'media:connect-transport', { callId, transportId, dtlsParameters });
      expect(connect.ok === false && connect.error.code, transportId).to.equal('not_found');
      const produce = await ask(pro, 'media:produce', { callId, transportId, kind: 'audio', source: 'microphone', rtpParameters: { codecs: [] } });
      expect(produce.ok === false && produce.error.code, transportId).to.equal('not_found');
    }
    const resume = await ask(pro, 'media:resume-consumer', { callId, consumerId: randomUUID() });
    expect(resume.ok === false && resume.error.code).to.equal('not_found');
    const pause = await ask(visitor, 'media:set-producer-paused', { callId, producerId: randomUUID(), paused: true });
    expect(pause.ok === false && pause.error.code).to.equal('not_found');
  });

  it('media requests from a socket that did not join the call are not_found', async () => {
    const second = await visitorSocket(server, (visitor.auth as { token: string }).token);
    const res = await ask(second, 'media:connect-transport', {
      callId,
      transportId: visitorJoin.sendTransport.id,
      dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB' }] },
    });
    expect(res.ok === false && res.error.code).to.equal('not_found');
    second.disconnect();
  });

  it('RTP parameters mediasoup cannot use get bad_request', async () => {
    const res = await ask(pro, 'media:produce', {
      callId,
      transportId: proJoin.sendTransport.id,
      kind: 'audio',
      source: 'microphone',
      rtpParameters: { codecs: [{ mimeType: 'audio/nonexistent' }] },
    });
    expect(res.ok === false && res.error.code).to.equal('bad_request');
  });

  // CallRouter.connectTransport maps mediasoup's refusal of unusable DTLS parameters to bad_request, as produce()
  // does for RTP parameters: the caller's fault, not an internal error worth an error log line.
  it('DTLS parameters mediasoup refuses get bad_request, not internal, and log no error', async () => {
    const errorsBefore = errorLogLines().length;
    const bad: [string, Record<string, unknown>][] = [
      ['no fingerprints', { role: 'client' }],
      ['an unknown fingerprint algorithm', { role: 'client', fingerprints: [{ algorithm: 'md4', value: 'AB' }] }],
      ['a bad role', { role: 'boss', fingerprints: [{ algorithm: 'sha-256', value: 'AB' }] }],
    ];
    const codes: string[] = [];
    for (const [what, dtlsParameters] of bad) {
      const res = await ask(pro, 'media:connect-transport', { callId, transportId: proJoin.recvTransport.id, dtlsParameters });
      codes.push(`${what}: ${res.ok ? 'ok' : res.error.code}`);
    }
    expect(codes).to.deep.equal(bad.map(([what]) => `${what}: bad_request`));
    expect(errorLogLines().slice(errorsBefore)).to.deep.equal([]);
  });

  // mediasoup's "connect() already called" is the caller's fault too.
  it('connecting a transport twice gets bad_request, not internal', async () => {
    const fingerprint = (proJoin.sendTransport.dtlsParameters as { fingerprints: { algorithm: string; value: string }[] }).fingerprints[0]!;
    const dtlsParameters = { role: 'client', fingerprints: [fingerprint] };
    const first = await ask(pro, 'media:connect-transport', { callId, transportId: proJoin.sendTransport.id, dtlsParameters });
    expect(first.ok, JSON.stringify(first)).to.equal(true);
    const again = await ask(pro, 'media:connect-transport', { callId, transportId: proJoin.sendTransport.id, dtlsParameters });
    expect(again.ok === false && again.error.code).to.equal('bad_request');
  });
});
