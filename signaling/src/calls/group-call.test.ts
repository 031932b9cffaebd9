import { expect } from 'chai';
import { MAX_CALL_PARTICIPANTS } from '../../protocol/index.ts';
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
  type ProfessionalClient,
  type TestOrganization,
  type TestServer,
  type VisitorClient,
} from '../test-support/test-server.ts';

const OPUS = {
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }],
  encodings: [{ ssrc: 5151 }],
  headerExtensions: [],
  rtcp: { cname: 'group', reducedSize: true },
};

const codeOf = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);

/*
 * Group calls: a second visitor (an interpreter, a relative) admitted into an ongoing call, a colleague
 * asked in, at most MAX_CALL_PARTICIPANTS in all; everyone learns who joined before any of their media;
 * the host ends the call for all, anyone else leaves it, and it ends when no one is left to talk to.
 */
describe('group calls (real server, Redis, mediasoup)', function () {
  let server: TestServer;
  let org: TestOrganization;
  let caps: Record<string, unknown>;

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services);
    caps = await deviceRtpCapabilities(server);
  });
  after(async () => {
    await server?.close();
  });

  const arrive = async (name: string) => {
    const visit = await joinWaitingRoom(server, org.room.slug, name);
    return { ...visit, socket: await visitorSocket(server, visit.visitorToken) };
  };
  const member = async (name: string) => {
    const m = await addMember(server.services, org.org.id, { name });
    return { ...m, socket: await professionalSocket(server, (await login(server, m.email, m.password)).cookie) };
  };
  const join = async (socket: VisitorClient | ProfessionalClient, callId: string) => {
    const joined = await ask(socket as ProfessionalClient, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    if (!joined.ok) throw new Error(JSON.stringify(joined));
    return joined;
  };
  const callState = async (callId: string) => server.redis.client.hget(`{org:${org.org.id}}:call:${callId}`, 'state');

  it('adds a second visitor and a colleague; the others see the colleague, by name and role, before any of their media', async () => {
    const host = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    const ola = await arrive('Ola Nordmann');
    const tolk = await arrive('Tolk Tolkesen');
    const admitted = await ask(host, 'queue:admit', { visitorId: ola.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const { callId } = admitted;
    await join(ola.socket, callId);
    await join(host, callId);

    // The interpreter, admitted into the same call: told its id like any admission, and off the list.
    const second = await ask(host, 'queue:admit', { visitorId: tolk.visitorId, callId });
    expect(codeOf(second)).to.equal('ok');
    expect(await recordEvents(tolk.socket).waitFor('visit:admitted')).to.deep.equal({ callId });
    const status = await ask(tolk.socket, 'visit:status', {});
    expect(status.ok && status.visit).to.include({ state: 'in_call', callId });
    const tolkJoined = await join(tolk.socket, callId);
    expect(tolkJoined.peers.map((p) => [p.name, p.role]).sort()).to.deep.equal([
      [org.professional.name, 'professional'],
      ['Ola Nordmann', 'visitor'],
    ]);

    // A colleague not (yet) asked in cannot join, nor admit into the call.
    const dr = await member('Dr Berg');
    const before = await ask(dr.socket, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expect(codeOf(before), 'uninvited colleague').to.equal('not_found');
    const kari = await arrive('Kari Nordmann');
    expect(codeOf(await ask(dr.socket, 'queue:admit', { visitorId: kari.visitorId, callId })), 'uninvited admit').to.equal('not_found');

    // Asked in: their dashboard is told by whom; they join; everyone else hears of them first.
    const olaHears = recordEvents(ola.socket);
    expect(codeOf(await ask(host, 'call:invite', { callId, professionalId: dr.id }))).to.equal('ok');
    expect(await recordEvents(dr.socket).waitFor('call:invited')).to.deep.equal({ callId, by: org.professional.name });
    const drJoined = await join(dr.socket, callId);
    expect(drJoined.peers).to.have.length(3);
    const produced = await ask(dr.socket, 'media:produce', { callId, transportId: drJoined.sendTransport.id, kind: 'audio', source: 'microphone', rtpParameters: OPUS });
    expect(codeOf(produced)).to.equal('ok');
    const drPeer = `professional:${dr.id}`;
    await olaHears.waitFor('call:consumer-added', (c: { peer: { id: string } }) => c.peer.id === drPeer);
    const order = olaHears.events
      .filter((e) => (e.event === 'call:peer-joined' && (e.args[0] as { peer: { id: string } }).peer.id === drPeer) || (e.event === 'call:consumer-added' && (e.args[0] as { peer: { id: string } }).peer.id === drPeer))
      .map((e) => e.event);
    expect(order, 'the colleague is named before their media').to.deep.equal(['call:peer-joined', 'call:consumer-added']);
    const named = olaHears.events.find((e) => e.event === 'call:peer-joined' && (e.args[0] as { peer: { id: string } }).peer.id === drPeer)!.args[0] as { peer: { name: string; role: string } };
    expect(named.peer).to.include({ name: 'Dr Berg', role: 'professional' });
    // In the call, the colleague still sees and admits only from their own rooms (need to know); the call
    // shows in their history.
    expect(codeOf(await ask(dr.socket, 'queue:admit', { visitorId: kari.visitorId, callId })), 'not their room').to.equal('not_found');
    expect(codeOf(await ask(host, 'queue:admit', { visitorId: kari.visitorId, callId }))).to.equal('ok');
    expect(await server.redis.client.zscore(`{org:${org.org.id}}:history:${dr.id}`, callId)).to.not.equal(null);

    // Five in the call (host, Ola, interpreter, colleague, Kari): one more, then full.
    expect(MAX_CALL_PARTICIPANTS).to.equal(6);
    const per = await arrive('Per Hansen');
    const lise = await arrive('Lise Lund');
    expect(codeOf(await ask(host, 'queue:admit', { visitorId: per.visitorId, callId }))).to.equal('ok');
    expect(codeOf(await ask(host, 'queue:admit', { visitorId: lise.visitorId, callId })), 'a seventh').to.equal('call_full');
    const third = await member('Dr Dahl');
    expect(codeOf(await ask(host, 'call:invite', { callId, professionalId: third.id })), 'a seventh colleague').to.equal('call_full');
    const list = await ask(host, 'queue:list', {});
    expect(list.ok && list.visitors.map((v) => v.name), 'the one refused still waits').to.deep.equal(['Lise Lund']);
    expect(list.ok && list.colleagues.map((c) => c.name)).to.include.members(['Dr Berg', 'Dr Dahl']);

    // A visitor asked into someone else's call... visitors cannot invite at all.
    expect(codeOf((await ask(ola.socket as never, 'call:invite' as never, { callId, professionalId: third.id } as never)) as never)).to.equal('bad_request');

    // The interpreter leaves: the others see them go; the call goes on.
    const hostHears = recordEvents(host);
    expect(codeOf(await ask(tolk.socket, 'call:hang-up', { callId }))).to.equal('ok');
    expect(await hostHears.waitFor('call:peer-left', (e: { peerId: string }) => e.peerId === `visitor:${tolk.visitorId}`)).to.deep.equal({ callId, peerId: `visitor:${tolk.visitorId}` });
    expect(await callState(callId)).to.equal('active');
    expect(codeOf(await ask(tolk.socket, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })), 'gone is gone').to.equal('call_ended');
    // The colleague leaves too; the call still goes on.
    expect(codeOf(await ask(dr.socket, 'call:hang-up', { callId }))).to.equal('ok');
    expect(await callState(callId)).to.equal('active');
    expect(codeOf(await ask(dr.socket, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })), 'left colleague').to.equal('not_found');

    // One visitor of several sent back: the one named, no other.
    expect(codeOf(await ask(host, 'call:send-back', { callId, visitorId: per.visitorId }))).to.equal('ok');
    expect((await ask(ola.socket, 'visit:status', {})).ok).to.equal(true);
    const perStatus = await ask(per.socket, 'visit:status', {});
    expect(perStatus.ok && perStatus.visit.state).to.equal('waiting');

    // The host ends it for everyone still in it: each visitor is told, and their visit is over.
    const kariHears = recordEvents(kari.socket);
    expect(codeOf(await ask(host, 'call:hang-up', { callId }))).to.equal('ok');
    await olaHears.waitFor('call:ended');
    await kariHears.waitFor('call:ended');
    expect(await callState(callId)).to.equal('ended');
    for (const v of [ola, kari]) {
      const s = await ask(v.socket, 'visit:status', {});
      expect(s.ok && s.visit.state, 'visit over').to.equal('ended');
    }
    const perAfter = await ask(per.socket, 'visit:status', {});
    expect(perAfter.ok && perAfter.visit.state, 'the one sent back still waits').to.equal('waiting');
    for (const s of [host, dr.socket, third.socket, ola.socket, tolk.socket, kari.socket, per.socket, lise.socket]) s.disconnect();
  });

  it('ends when the last one to talk to leaves; a colleague who declines leaves nothing behind', async () => {
    const host = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    const a = await arrive('Anna A');
    const b = await arrive('Bo B');
    const admitted = await ask(host, 'queue:admit', { visitorId: a.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const { callId } = admitted;
    expect(codeOf(await ask(host, 'queue:admit', { visitorId: b.visitorId, callId }))).to.equal('ok');
    const dr = await member('Dr Eik');
    expect(codeOf(await ask(host, 'call:invite', { callId, professionalId: dr.id }))).to.equal('ok');
    expect(codeOf(await ask(dr.socket, 'call:hang-up', { callId })), 'declines').to.equal('ok');
    expect(codeOf(await ask(dr.socket, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }))).to.equal('not_found');

    const hostHears = recordEvents(host);
    expect(codeOf(await ask(a.socket, 'call:hang-up', { callId }))).to.equal('ok');
    expect(await callState(callId), 'one visitor still there').to.equal('active');
    expect(codeOf(await ask(b.socket, 'call:hang-up', { callId }))).to.equal('ok');
    await hostHears.waitFor('call:ended', (e: { callId: string }) => e.callId === callId);
    expect(await callState(callId), 'only the host was left').to.equal('ended');
    expect(codeOf(await ask(host, 'call:hang-up', { callId }))).to.equal('call_ended');
    for (const s of [host, dr.socket, a.socket, b.socket]) s.disconnect();
  });
});
