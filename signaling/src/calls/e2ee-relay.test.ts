import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { CallJoined, PeerInfo } from '../../protocol/index.ts';
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
  visitorSocket,
  type ProfessionalClient,
  type TestServer,
  type VisitorClient,
} from '../test-support/test-server.ts';
import { generateKeyPair } from '../../../client/src/call-engine/e2ee/key-exchange.ts';
import { toBase64Url } from '../../../client/src/call-engine/e2ee/bytes.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';

/*
 * The server's part in end-to-end encryption: it passes public keys, sealed key messages and sealed chat
 * messages between participants who joined the same call, as opaque text; anyone else (a waiting visitor,
 * another call, a socket that did not join) gets not_found and nothing is passed on. Nothing is stored.
 */
describe('e2ee relay: public keys, sealed keys and chat only between participants of the same call (real server)', function () {
  let server: TestServer;
  let pro: ProfessionalClient;
  let visitor: VisitorClient;
  let waiting: VisitorClient;
  let callId: string;
  let visitorId: string;
  let waitingId: string;
  const keys = { visitor: '', pro: '' };
  let proJoin: CallJoined;

  const blob = () => randomBytes(61).toString('base64url');
  const code = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);

  before(async () => {
    server = await startTestServer();
    const org = await createOrganization(server.services);
    const caps = await deviceRtpCapabilities(server);
    pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    visitorId = visit.visitorId;
    visitor = await visitorSocket(server, visit.visitorToken);
    const other = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    waitingId = other.visitorId;
    waiting = await visitorSocket(server, other.visitorToken);
    recordEvents(waiting);
    const admitted = await ask(pro, 'queue:admit', { visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    callId = admitted.callId;
    keys.visitor = toBase64Url((await generateKeyPair()).publicKey);
    keys.pro = toBase64Url((await generateKeyPair()).publicKey);
    const proEvents = recordEvents(pro);
    const v = await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: keys.visitor });
    const visitorEvents = recordEvents(visitor);
    const p = await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: keys.pro });
    if (!v.ok || !p.ok) throw new Error(JSON.stringify({ v, p }));
    proJoin = p;
    // Each side learns the other's public key: the professional in its join answer, the visitor by event.
    expect(p.peers.map((x: PeerInfo) => x.publicKey)).to.deep.equal([keys.visitor]);
    expect(p.self).to.deep.include({ id: `professional:${org.professional.id}`, publicKey: keys.pro });
    const joined = await visitorEvents.waitFor<{ peer: PeerInfo }>('call:peer-joined');
    expect(joined.peer).to.deep.include({ id: `professional:${org.professional.id}`, role: 'professional', publicKey: keys.pro });
    expect(proEvents.events.filter((e) => e.event === 'call:peer-joined')).to.have.length(0);
  });
  after(async () => {
    await server?.close();
  });

  it('passes a sealed key from one participant to the other unchanged, naming the sender', async () => {
    const events = recordEvents(pro);
    const sealed = blob();
    expect(code(await ask(visitor, 'e2ee:key', { callId, to: proJoin.self.id, blob: sealed }))).to.equal('ok');
    const got = await events.waitFor<{ callId: string; from: string; blob: string }>('e2ee:key');
    expect(got).to.deep.equal({ callId, from: `visitor:${visitorId}`, blob: sealed });
  });

  it('refuses keys to a waiting visitor, to oneself, to made-up participants, and from sockets that did not join', async () => {
    const before = recordEvents(waiting).events.length;
    expect(code(await ask(pro, 'e2ee:key', { callId, to: `visitor:${waitingId}`, blob: blob() })), 'to a waiting visitor').to.equal('not_found');
    expect(code(await ask(pro, 'e2ee:key', { callId, to: proJoin.self.id, blob: blob() })), 'to oneself').to.equal('not_found');
    expect(code(await ask(pro, 'e2ee:key', { callId, to: `visitor:${randomBytes(16).toString('hex')}`, blob: blob() })), 'made up').to.equal('not_found');
    expect(code(await ask(waiting, 'e2ee:key', { callId, to: proJoin.self.id, blob: blob() })), 'from a waiting visitor').to.equal('not_found');
    expect(code(await ask(waiting, 'chat:send', { callId, blob: blob() })), 'chat from a waiting visitor').to.equal('not_found');
    const foreignCall = randomBytes(16).toString('hex');
    expect(code(await ask(visitor, 'e2ee:key', { callId: foreignCall, to: proJoin.self.id, blob: blob() })), 'unknown call').to.equal('not_found');
    await roundTrip(waiting);
    // The waiting visitor heard nothing of the call: no keys, no peers, no chat.
    const heard = recordEvents(waiting).events.slice(before).map((e) => e.event);
    expect(heard).to.deep.equal([]);
  });

  it('passes chat to the others with the time it was sent, and keeps none of it', async () => {
    const dumpBefore = await dumpRedis(server.redis.client);
    const events = recordEvents(visitor);
    const sealed = blob();
    const res = await ask(pro, 'chat:send', { callId, blob: sealed });
    expect(code(res)).to.equal('ok');
    const got = await events.waitFor<{ from: string; blob: string; sentAt: number }>('chat:message');
    expect(got).to.deep.equal({ callId, from: proJoin.self.id, blob: sealed, sentAt: (res as { sentAt: number }).sentAt });
    const dumpAfter = await dumpRedis(server.redis.client);
    const stored = JSON.stringify([...dumpAfter.values()]);
    expect(stored).to.not.include(sealed);
    expect(stored).to.not.include(keys.pro);
    expect(stored).to.not.include(keys.visitor);
    expect(dumpAfter.size).to.equal(dumpBefore.size);
  });

  it('tells the others when a participant leaves the call media', async () => {
    const events = recordEvents(pro);
    visitor.disconnect();
    const left = await events.waitFor<{ callId: string; peerId: string }>('call:peer-left');
    expect(left).to.deep.equal({ callId, peerId: `visitor:${visitorId}` });
    // The one who left is no longer a recipient.
    expect(code(await ask(pro, 'e2ee:key', { callId, to: `visitor:${visitorId}`, blob: blob() }))).to.equal('not_found');
  });
});
