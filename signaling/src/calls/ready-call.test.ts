import { expect } from 'chai';
import type { CallJoined, ConsumerInfo } from '../../protocol/index.ts';
import {
  ask,
  createOrganization,
  deviceRtpCapabilities,
  joinWaitingRoom,
  login,
  professionalSocket,
  recordEvents,
  roundTrip,
  startTestServer,
  testPublicKey,
  transportsOnCall,
  visitorSocket,
  type ProfessionalClient,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { eventually } from '../test-support/eventually.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';

/** Opus as a browser offers it: enough for mediasoup to accept a producer (no media needs to flow). */
const opus = (ssrc: number) => ({
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }],
  encodings: [{ ssrc }],
  headerExtensions: [],
  rtcp: { cname: 'ready-call-test', reducedSize: true },
});

/*
 * A professional's ready call: the dashboard sets its media up in a call of its own while visitors wait,
 * so an admission into it does not wait for the professional's join and negotiation. It belongs to one
 * dashboard socket, holds nobody else until an admission, leaves nothing in Redis, and is used once.
 */
describe('ready call: the professional set up before the admission (real server, Redis, mediasoup)', function () {
  let server: TestServer;
  let org: TestOrganization;
  let caps: Record<string, unknown>;
  let cookie: string;

  const code = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);
  const transportsOf = (callId: string) => transportsOnCall(server, callId);

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services);
    caps = await deviceRtpCapabilities(server);
    cookie = (await login(server, org.professional.email, org.professional.password)).cookie;
  });
  after(async () => {
    await server?.close();
  });

  async function readyProfessional(): Promise<{ pro: ProfessionalClient; callId: string; joined: CallJoined; producerId: string }> {
    const pro = await professionalSocket(server, cookie);
    const ready = await ask(pro, 'call:get-ready', {});
    if (!ready.ok) throw new Error(JSON.stringify(ready));
    const joined = await ask(pro, 'call:join', { callId: ready.callId, rtpCapabilities: caps, publicKey: testPublicKey });
    if (!joined.ok) throw new Error(JSON.stringify(joined));
    const produced = await ask(pro, 'media:produce', {
      callId: ready.callId,
      transportId: joined.sendTransport.id,
      kind: 'audio',
      source: 'microphone',
      rtpParameters: opus(1000 + Math.floor(Math.random() * 1e6)),
    });
    if (!produced.ok) throw new Error(JSON.stringify(produced));
    return { pro, callId: ready.callId, joined, producerId: produced.producerId };
  }

  it('is one per dashboard, 128 random bits, joined with nobody else in it and nothing written to Redis', async () => {
    const before = await dumpRedis(server.redis.client);
    const { pro, callId, joined } = await readyProfessional();
    expect(callId).to.match(/^[0-9a-f]{32}$/);
    const again = await ask(pro, 'call:get-ready', {});
    expect(again.ok && again.callId, 'asked again on the same socket').to.equal(callId);
    const other = await professionalSocket(server, cookie);
    const second = await ask(other, 'call:get-ready', {});
    expect(second.ok && second.callId, 'another dashboard of the same professional').to.match(/^[0-9a-f]{32}$/).and.not.equal(callId);
    expect(joined.peers).to.deep.equal([]);
    expect(joined.consumers).to.deep.equal([]);
    // Only session renewals (the sockets' handshakes) may have touched Redis: no call, no visitor.
    const after = await dumpRedis(server.redis.client);
    const added = [...after.keys()].filter((k) => !before.has(k));
    expect(added).to.deep.equal([]);
    pro.disconnect();
    other.disconnect();
  });

  it('no one else can join it or admit into it; a waiting visitor hears nothing of it', async () => {
    const { pro, callId } = await readyProfessional();
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    const visitor = await visitorSocket(server, visit.visitorToken);
    const heard = recordEvents(visitor);
    expect(code(await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })), 'the visitor joins it').to.equal('not_found');
    const otherDashboard = await professionalSocket(server, cookie);
    expect(code(await ask(otherDashboard, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })), 'another dashboard joins it').to.equal(
      'not_found',
    );
    expect(code(await ask(otherDashboard, 'queue:admit', { visitorId: visit.visitorId, callId })), 'another dashboard admits into it').to.equal('not_found');
    expect(code(await ask(otherDashboard, 'call:hang-up', { callId })), 'another dashboard gives it up').to.equal('not_found');
    expect((await server.services.waitingRoom.getVisitor(org.org.id, visit.visitorId))?.state).to.equal('waiting');
    await roundTrip(visitor);
    expect(heard.events.map((e) => e.event)).to.deep.equal([]);
    for (const s of [pro, visitor, otherDashboard]) s.disconnect();
  });

  it('an admission into it gives the visitor the professional at once, in its join answer; the id is used once', async () => {
    const { pro, callId, joined: proJoined, producerId } = await readyProfessional();
    const proEvents = recordEvents(pro);
    const ola = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    const kari = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    const visitor = await visitorSocket(server, ola.visitorToken);
    const events = recordEvents(visitor);
    const admitted = await ask(pro, 'queue:admit', { visitorId: ola.visitorId, callId });
    expect(admitted.ok && admitted.callId).to.equal(callId);
    expect((await events.waitFor<{ callId: string }>('visit:admitted')).callId).to.equal(callId);
    const call = await server.services.calls.get(org.org.id, callId);
    expect(call).to.deep.include({ visitorId: ola.visitorId, professionalId: org.professional.id, state: 'active' });
    // The visitor's transports were made while they were told: their join takes them and makes none.
    await eventually(async () => (await transportsOf(callId)).length === 4, { what: "the visitor's transports made beside the professional's" });
    const made = await transportsOf(callId);

    const joined = await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    if (!joined.ok) throw new Error(JSON.stringify(joined));
    expect(made, 'the join answers with transports made at the admission').to.include.members([joined.sendTransport.id, joined.recvTransport.id]);
    expect((await transportsOf(callId)).sort()).to.deep.equal([...made].sort());
    expect(joined.peers.map((p) => p.id)).to.deep.equal([proJoined.self.id]);
    expect(joined.consumers.map((c: ConsumerInfo) => [c.producerId, c.kind, c.peer.id])).to.deep.equal([[producerId, 'audio', proJoined.self.id]]);
    expect((await proEvents.waitFor<{ peer: { id: string } }>('call:peer-joined')).peer.id).to.equal(`visitor:${ola.visitorId}`);

    // No longer a ready call: a second admission with its id adds to the ongoing call (a group call) and
    // starts no new one; hang-up no longer gives it up but ends it.
    expect(code(await ask(pro, 'queue:admit', { visitorId: kari.visitorId, callId })), 'second admission into it').to.equal('ok');
    expect(await server.services.waitingRoom.getVisitor(org.org.id, kari.visitorId)).to.deep.include({ state: 'in_call', callId });
    expect(await server.services.calls.get(org.org.id, callId)).to.deep.include({ visitorId: ola.visitorId, startedAt: call!.startedAt });
    const fresh = await ask(pro, 'call:get-ready', {});
    expect(fresh.ok && fresh.callId, 'the next ready call').to.match(/^[0-9a-f]{32}$/).and.not.equal(callId);
    expect(code(await ask(pro, 'call:hang-up', { callId }))).to.equal('ok');
    expect((await events.waitFor<{ callId: string }>('call:ended')).callId).to.equal(callId);
    pro.disconnect();
    visitor.disconnect();
  });

  it("an admitted visitor sent back before joining leaves no transports of theirs behind", async () => {
    const { pro, callId } = await readyProfessional();
    const visit = await joinWaitingRoom(server, org.room.slug, 'Siri Lund');
    expect(code(await ask(pro, 'queue:admit', { visitorId: visit.visitorId, callId }))).to.equal('ok');
    await eventually(async () => (await transportsOf(callId)).length === 4, { what: "the visitor's transports made" });
    expect(code(await ask(pro, 'call:send-back', { callId }))).to.equal('ok');
    await eventually(async () => (await transportsOf(callId)).length === 2, { what: "the visitor's transports closed" });
    expect(code(await ask(pro, 'call:hang-up', { callId }))).to.equal('ok');
    pro.disconnect();
  });

  it('is given up by hang-up or by closing the dashboard: its router goes, and it cannot be joined again', async () => {
    const first = await readyProfessional();
    expect(server.services.media.existingRouter(first.callId), 'router while ready').to.not.equal(undefined);
    expect(code(await ask(first.pro, 'call:hang-up', { callId: first.callId }))).to.equal('ok');
    expect(server.services.media.existingRouter(first.callId), 'router after hang-up').to.equal(undefined);
    expect(code(await ask(first.pro, 'call:join', { callId: first.callId, rtpCapabilities: caps, publicKey: testPublicKey }))).to.equal('not_found');
    const visit = await joinWaitingRoom(server, org.room.slug, 'Per Hansen');
    expect(code(await ask(first.pro, 'queue:admit', { visitorId: visit.visitorId, callId: first.callId }))).to.equal('not_found');

    const second = await readyProfessional();
    second.pro.disconnect();
    await eventually(() => !server.services.media.existingRouter(second.callId), { what: 'the ready call\'s router closed with its dashboard' });
    expect(server.services.media.existingRouter(second.callId), 'router after the dashboard closed').to.equal(undefined);
    first.pro.disconnect();
  });
});
