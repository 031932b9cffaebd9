import { expect } from 'chai';
import { ask, callInProgress, createOrganization, recordEvents, startTestServer, type TestServer } from '../test-support/test-server.ts';

const vp8 = (ssrc: number) => ({
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [] }],
  encodings: [{ ssrc }],
  headerExtensions: [],
  rtcp: { cname: `screen-${ssrc}`, reducedSize: true },
});
const codeOf = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);

/*
 * Screen sharing: a third kind of track beside camera and microphone. Professionals may always share;
 * visitors only where their organization allows it. Starting and stopping it is technical data of the call.
 */
describe('screen sharing (real server, Redis, mediasoup)', function () {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('a professional shares and stops; a visitor may only where the organization allows it; one screen at a time', async () => {
    const org = await createOrganization(server.services);
    const { callId, pro, visitor, proJoined, visitorJoined } = await callInProgress(server, org);
    expect([proJoined.screenShare, visitorJoined.screenShare], 'who may share (professional, visitor)').to.deep.equal([true, false]);

    const seen = recordEvents(visitor);
    const shared = await ask(pro, 'media:produce', { callId, transportId: proJoined.sendTransport.id, kind: 'video', source: 'screen', rtpParameters: vp8(7001) });
    if (!shared.ok) throw new Error(JSON.stringify(shared));
    const consumer = await seen.waitFor<{ consumerId: string; source: string; peer: { role: string } }>('call:consumer-added');
    expect([consumer.source, consumer.peer.role]).to.deep.equal(['screen', 'professional']);
    const second = await ask(pro, 'media:produce', { callId, transportId: proJoined.sendTransport.id, kind: 'video', source: 'screen', rtpParameters: vp8(7002) });
    expect(codeOf(second), 'a second screen').to.equal('bad_request');
    const byVisitor = await ask(visitor, 'media:close-producer', { callId, producerId: shared.producerId });
    expect(codeOf(byVisitor), 'someone else’s share').to.equal('not_found');
    expect(codeOf(await ask(pro, 'media:close-producer', { callId, producerId: shared.producerId }))).to.equal('ok');
    expect(await seen.waitFor('call:consumer-closed')).to.deep.equal({ consumerId: consumer.consumerId });

    // Off for visitors in this organization: refused, and nothing reaches the professional.
    const proSees = recordEvents(pro);
    const already = proSees.events.length;
    const refused = await ask(visitor, 'media:produce', { callId, transportId: visitorJoined.sendTransport.id, kind: 'video', source: 'screen', rtpParameters: vp8(7003) });
    expect(codeOf(refused)).to.equal('not_allowed');
    await server.services.organizations.updateSettings(org.org.id, { visitorScreenShare: true });
    const allowed = await ask(visitor, 'media:produce', { callId, transportId: visitorJoined.sendTransport.id, kind: 'video', source: 'screen', rtpParameters: vp8(7004) });
    expect(codeOf(allowed), 'once the organization allows it').to.equal('ok');
    const added = await proSees.waitFor<{ source: string }>('call:consumer-added');
    expect(added.source).to.equal('screen');
    expect(proSees.events.slice(already).filter((e) => e.event === 'call:consumer-added'), 'only the allowed one').to.have.length(1);

    const actions = (await server.redis.client.lrange(`{org:${org.org.id}}:call-tech:${callId}`, 0, -1))
      .map((e) => JSON.parse(e) as { role: string; action?: string })
      .reverse()
      .map((e) => `${e.role} ${e.action}`);
    expect(actions).to.deep.equal(['professional screen-share-on', 'professional screen-share-off', 'visitor screen-share-on']);
    pro.disconnect();
    visitor.disconnect();
  });
});
