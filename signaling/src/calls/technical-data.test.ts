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
  testPublicKey,
  visitorSocket,
  type TestServer,
} from '../test-support/test-server.ts';

const DAY = 86_400_000;

/*
 * Technical data of a call: each participant's network quality (passed to the others for the indicator
 * next to their name) and in-call actions, kept under the retention period with no names or content.
 */
describe('call technical data: network quality and in-call actions (real server, Redis, mediasoup)', function () {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('passes a participant’s network quality to the others and keeps it, with mute and camera, for the retention period only', async () => {
    const org = await createOrganization(server.services, { retentionDays: 7 });
    const caps = await deviceRtpCapabilities(server);
    const pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    const ola = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    const waiting = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    const visitor = await visitorSocket(server, ola.visitorToken);
    const waitingSocket = await visitorSocket(server, waiting.visitorToken);
    const admitted = await ask(pro, 'queue:admit', { visitorId: ola.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const { callId } = admitted;
    const joined = await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    if (!joined.ok) throw new Error(JSON.stringify(joined));

    const proHears = recordEvents(pro);
    expect((await ask(visitor, 'call:quality', { callId, rating: 'fair', lossPercent: 4.26, rttMs: 350.7 })).ok).to.equal(true);
    expect(await proHears.waitFor('call:peer-quality')).to.deep.equal({ callId, peerId: `visitor:${ola.visitorId}`, rating: 'fair' });
    const fromWaiting = await ask(waitingSocket, 'call:quality', { callId, rating: 'good', lossPercent: 0, rttMs: 10 });
    expect(fromWaiting.ok === false && fromWaiting.error.code, 'a visitor not in the call').to.equal('not_found');

    const produced = await ask(visitor, 'media:produce', {
      callId,
      transportId: joined.sendTransport.id,
      kind: 'audio',
      source: 'microphone',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }], encodings: [{ ssrc: 4242 }], headerExtensions: [], rtcp: { cname: 'x', reducedSize: true } },
    });
    if (!produced.ok) throw new Error(JSON.stringify(produced));
    expect((await ask(visitor, 'media:set-producer-paused', { callId, producerId: produced.producerId, paused: true })).ok).to.equal(true);

    const key = `{org:${org.org.id}}:call-tech:${callId}`;
    const entries = (await server.redis.client.lrange(key, 0, -1)).map((e) => JSON.parse(e) as Record<string, unknown>);
    expect(entries.map(({ at: _at, ...rest }) => rest)).to.deep.equal([
      { role: 'visitor', kind: 'action', action: 'mute' },
      { role: 'visitor', kind: 'quality', rating: 'fair', lossPercent: 4.3, rttMs: 351 },
    ]);
    expect(JSON.stringify(entries)).to.not.include('Ola');
    const ttl = await server.redis.client.pttl(key);
    expect(ttl).to.be.within(7 * DAY - 60_000, 7 * DAY);
    for (const s of [pro, visitor, waitingSocket]) s.disconnect();
  });
});
