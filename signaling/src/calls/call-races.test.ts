import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import {
  ask,
  callInProgress,
  createOrganization,
  deviceRtpCapabilities,
  joinWaitingRoom,
  memberApi,
  professionalSocket,
  recordEvents,
  sleep,
  startTestServer,
  testPublicKey,
  visitorSocket,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { routerCensus, type RouterCensus } from '../test-support/router-census.ts';
import { eventually } from '../test-support/eventually.ts';

const opus = (ssrc: number) => ({
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }],
  encodings: [{ ssrc }],
  headerExtensions: [],
  rtcp: { cname: `pro-${ssrc}`, reducedSize: true },
});
const vp8 = (ssrc: number) => ({
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [] }],
  encodings: [{ ssrc }],
  headerExtensions: [],
  rtcp: { cname: `pro-${ssrc}`, reducedSize: true },
});
const codeOf = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);

/*
 * A (modified) client repeating `call:join` while the professional sends it back or hangs up, or closing
 * its connection in the middle of a join: whatever the order in which the server sees them, a visitor sent
 * back is out of the call's media and gets no keys, an ended call keeps no router, and a call whose last
 * participant left mid-join still ends.
 */
describe('joining a call races with send-back, hang-up and a closing connection (real server, Redis, mediasoup)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let org: TestOrganization;
  let census: RouterCensus;

  before(async () => {
    census = routerCensus();
    server = await startTestServer({ env: { JOIN_LIMIT_PER_MINUTE: '10000', CALL_ABANDONED_SECONDS: '1' } });
    org = await createOrganization(server.services);
  });
  after(async () => {
    census?.stop();
    await server?.close();
  });

  it('a visitor sent back while repeating call:join is out of the media and never gets a key sealed to it (100 interleavings)', async () => {
    const caps = await deviceRtpCapabilities(server);
    const { callId, pro, visitor, visitorId, proJoined } = await callInProgress(server, org);
    // The professional sends sound and picture, so a join has consumers to set up (and takes its time).
    for (const [kind, rtpParameters] of [['audio', opus(3001)], ['video', vp8(3002)]] as const) {
      const source = kind === 'audio' ? 'microphone' : 'camera';
      expect(codeOf(await ask(pro, 'media:produce', { callId, transportId: proJoined.sendTransport.id, kind, source, rtpParameters }))).to.equal('ok');
    }
    const visitorPeer = `visitor:${visitorId}`;
    const proHears = recordEvents(pro);
    const visitorHears = recordEvents(visitor);
    for (let i = 0; i < 100; i++) {
      if (i > 0) {
        const back = await ask(pro, 'queue:admit', { visitorId, callId });
        expect(codeOf(back), `admitted again (${i})`).to.equal('ok');
        expect(codeOf(await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })), `joined again (${i})`).to.equal('ok');
      }
      const heardBefore = proHears.events.length;
      const keysBefore = visitorHears.names().filter((n) => n === 'e2ee:key').length;
      // The visitor keeps asking to join; the send-back lands somewhere among those requests.
      const joins = Array.from({ length: 1 + (i % 4) }, (_, k) =>
        sleep(k).then(() => ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })),
      );
      const sentBack = sleep(i % 5).then(() => ask(pro, 'call:send-back', { callId }));
      expect(codeOf(await sentBack), `sent back (${i})`).to.equal('ok');
      await Promise.all(joins);

      // What the professional's client would seal its next key to: nobody but the professional is left.
      const sealed = await ask(pro, 'e2ee:key', { callId, to: visitorPeer, blob: randomBytes(61).toString('base64url') });
      expect(codeOf(sealed), `a key to the sent-back visitor (${i})`).to.equal('not_found');
      let visitorPresent = true;
      for (const e of proHears.events.slice(heardBefore)) {
        const about = e.args[0] as { peerId?: string; peer?: { id: string } };
        if (e.event === 'call:peer-left' && about.peerId === visitorPeer) visitorPresent = false;
        if (e.event === 'call:peer-joined' && about.peer?.id === visitorPeer) visitorPresent = true;
      }
      expect(visitorPresent, `the professional's client still counts the visitor in (${i})`).to.equal(false);
      expect(server.services.media.existingRouter(callId)?.participantCount, `media participants (${i})`).to.equal(1);
      const status = await ask(visitor, 'visit:status', {});
      expect(status.ok && status.visit.state, `the visitor waits (${i})`).to.equal('waiting');
      expect(visitorHears.names().filter((n) => n === 'e2ee:key').length, `keys the visitor got (${i})`).to.equal(keysBefore);
    }
    expect(codeOf(await ask(pro, 'call:hang-up', { callId }))).to.equal('ok');
    pro.disconnect();
    visitor.disconnect();
  });

  it('no router outlives its call when the host hangs up during a join, before or after joining themselves (60 interleavings)', async () => {
    const caps = await deviceRtpCapabilities(server);
    const pro = await professionalSocket(server, (await memberApi(server, org.org.id, org.professional.id)).cookie);
    const baseline = census.open;
    for (let i = 0; i < 60; i++) {
      const visit = await joinWaitingRoom(server, org.room.slug, `Visitor ${i}`);
      const visitor = await visitorSocket(server, visit.visitorToken);
      const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
      if (!admitted.ok) throw new Error(JSON.stringify(admitted));
      const { callId } = admitted;
      if (i % 2) expect(codeOf(await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }))).to.equal('ok');
      const joins = Array.from({ length: 1 + (i % 3) }, (_, k) =>
        sleep(k * (i % 3)).then(() => ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })),
      );
      const hungUp = sleep(Math.floor(i / 2) % 8).then(() => ask(pro, 'call:hang-up', { callId }));
      expect(codeOf(await hungUp), `hung up (${i})`).to.equal('ok');
      await Promise.all(joins);
      expect((await server.services.calls.get(org.org.id, callId))?.state).to.equal('ended');
      await eventually(() => census.open === baseline, { what: `routers left after call ${i} ended`, timeoutMs: 3000 });
      expect(server.services.media.existingRouter(callId), `call ${i}`).to.equal(undefined);
      visitor.disconnect();
    }
    pro.disconnect();
    // Nothing of this is the server's fault: no error is logged.
    const errors = server.logs().filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).to.deep.equal([]);
  });

  it('a call whose last participant closes the connection in the middle of a join still ends, and its router closes (20 interleavings)', async () => {
    const caps = await deviceRtpCapabilities(server);
    const baseline = census.open;
    const calls: string[] = [];
    for (let i = 0; i < 20; i++) {
      const pro = await professionalSocket(server, (await memberApi(server, org.org.id, org.professional.id)).cookie);
      const visit = await joinWaitingRoom(server, org.room.slug, `Leaving ${i}`);
      const visitor = await visitorSocket(server, visit.visitorToken);
      const visitorHears = recordEvents(visitor);
      const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
      if (!admitted.ok) throw new Error(JSON.stringify(admitted));
      const { callId } = admitted;
      calls.push(callId);
      expect(codeOf(await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }))).to.equal('ok');
      expect(codeOf(await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }))).to.equal('ok');
      // The professional's dashboard closes; the visitor, now alone, joins again and closes mid-join.
      pro.disconnect();
      await visitorHears.waitFor('call:peer-left');
      visitor.emit('call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }, () => undefined);
      await sleep(i % 10);
      visitor.disconnect();
    }
    // CALL_ABANDONED_SECONDS is 1 here: every call ends as abandoned, and no router is left.
    await eventually(async () => (await Promise.all(calls.map((id) => server.services.calls.get(org.org.id, id)))).every((c) => c?.state === 'ended'), {
      what: 'every abandoned call ended',
      timeoutMs: 8000,
    });
    await eventually(() => census.open === baseline, { what: 'no router left', timeoutMs: 3000 });
  });

  it('a call ended elsewhere while everyone was away still has its router closed', async () => {
    const baseline = census.open;
    const { callId, pro, visitor } = await callInProgress(server, org, 'Away Visitor');
    expect(census.open).to.equal(baseline + 1);
    pro.disconnect();
    visitor.disconnect();
    // Ended meanwhile by another signaling process (here: the store directly), not by this one's timer.
    const call = await server.services.calls.get(org.org.id, callId);
    await server.services.calls.end(call!);
    await eventually(() => census.open === baseline, { what: 'the ended call\'s router closed', timeoutMs: 4000 });
  });
});
