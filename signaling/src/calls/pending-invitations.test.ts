import { expect } from 'chai';
import { keys } from '../redis/keys.ts';
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
} from '../test-support/test-server.ts';

const codeOf = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);

/*
 * An invitation into a colleague's call is state, not only an event: a dashboard that was connecting,
 * away or reconnecting when asked is offered it all the same, and a declined, joined or ended one goes
 * from every dashboard (tab) of that professional.
 */
describe('pending call invitations (real server, Redis, mediasoup)', function () {
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

  /** A call of the organization's professional with one visitor in it; both joined its media. */
  const callWithVisitor = async (visitorName: string) => {
    const host = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    const visit = await joinWaitingRoom(server, org.room.slug, visitorName);
    const visitor = await visitorSocket(server, visit.visitorToken);
    const admitted = await ask(host, 'queue:admit', { visitorId: visit.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const { callId } = admitted;
    for (const s of [visitor, host]) {
      const joined = await ask(s as ProfessionalClient, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
      if (!joined.ok) throw new Error(JSON.stringify(joined));
    }
    return { host, visitor, callId };
  };
  const colleague = async (name: string) => {
    const m = await addMember(server.services, org.org.id, { name });
    const { cookie } = await login(server, m.email, m.password);
    return { ...m, open: () => professionalSocket(server, cookie) };
  };
  const pending = async (socket: ProfessionalClient) => {
    const res = await ask(socket, 'call:invitations', {});
    if (!res.ok) throw new Error(JSON.stringify(res));
    return res.invitations;
  };

  it('a colleague asked while offline is offered the call when their dashboard connects, and no longer once it ended', async () => {
    const { host, visitor, callId } = await callWithVisitor('Ola Nordmann');
    const berg = await colleague('Dr Berg');
    expect(codeOf(await ask(host, 'call:invite', { callId, professionalId: berg.id }))).to.equal('ok');

    // Their dashboard opens after the ask (or was still connecting): the invitation is there.
    const tab = await berg.open();
    const heard = recordEvents(tab);
    expect(await pending(tab)).to.deep.equal([{ callId, by: org.professional.name }]);
    // A reconnection (a network blip, a laptop waking up) finds it again.
    tab.disconnect();
    tab.connect();
    await new Promise<void>((resolve) => tab.once('connect', () => resolve()));
    expect(await pending(tab)).to.deep.equal([{ callId, by: org.professional.name }]);

    // Nothing of the call reaches them before they join: no roster, no media, no keys.
    const visitorReports = await ask(visitor as unknown as ProfessionalClient, 'call:quality', { callId, rating: 'good', lossPercent: 0, rttMs: 20 });
    expect(codeOf(visitorReports)).to.equal('ok');
    expect(heard.names().filter((e) => e.startsWith('call:') && e !== 'call:invited' && e !== 'call:invitations-changed' && e !== 'call:ended')).to.deep.equal([]);
    expect(heard.names().some((e) => e.startsWith('e2ee:') || e.startsWith('chat:'))).to.equal(false);

    // Someone not asked has no invitation; asking for one of theirs reveals nothing.
    const dahl = await colleague('Dr Dahl');
    const dahlTab = await dahl.open();
    expect(await pending(dahlTab)).to.deep.equal([]);
    expect(codeOf(await ask(dahlTab, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }))).to.equal('not_found');

    // The host ends the call: the invitation goes, now and at the next connection, and from Redis.
    expect(codeOf(await ask(host, 'call:hang-up', { callId }))).to.equal('ok');
    await heard.waitFor('call:ended', (e: { callId: string }) => e.callId === callId);
    expect(await pending(tab)).to.deep.equal([]);
    const later = await berg.open();
    expect(await pending(later)).to.deep.equal([]);
    expect(await server.redis.client.zcard(keys.callInvitations(org.org.id, berg.id))).to.equal(0);
    for (const s of [host, visitor, tab, later, dahlTab]) s.disconnect();
  });

  it('declined in one tab: the other tab drops it; joined in one tab: the others drop it; withdrawn: every tab drops it', async () => {
    const { host, visitor, callId } = await callWithVisitor('Kari Nordmann');
    const eik = await colleague('Dr Eik');
    const [first, second] = [await eik.open(), await eik.open()];
    const secondHears = recordEvents(second);
    expect(codeOf(await ask(host, 'call:invite', { callId, professionalId: eik.id }))).to.equal('ok');
    expect(await secondHears.waitFor('call:invited')).to.deep.equal({ callId, by: org.professional.name });
    expect(await pending(second)).to.deep.equal([{ callId, by: org.professional.name }]);

    expect(codeOf(await ask(first, 'call:hang-up', { callId })), 'declines').to.equal('ok');
    await secondHears.waitFor('call:invitations-changed');
    expect(await pending(second), 'the other tab').to.deep.equal([]);
    expect(await server.redis.client.hget(keys.call(org.org.id, callId), 'state'), 'the call goes on').to.equal('active');

    // Asked again, then joined in one tab: the other tab is told and offers it no more.
    const lund = await colleague('Dr Lund');
    const [tabA, tabB] = [await lund.open(), await lund.open()];
    const tabBHears = recordEvents(tabB);
    expect(codeOf(await ask(host, 'call:invite', { callId, professionalId: lund.id }))).to.equal('ok');
    expect(await pending(tabB)).to.have.length(1);
    const joined = await ask(tabA, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expect(codeOf(joined)).to.equal('ok');
    await tabBHears.waitFor('call:invitations-changed');
    expect(await pending(tabB)).to.deep.equal([]);
    expect(await pending(tabA)).to.deep.equal([]);

    // Withdrawn by the one who asked: the colleague's dashboards stop offering it, they cannot join, and
    // the call is not in their history. One who answered already has nothing to withdraw.
    const moe = await colleague('Dr Moe');
    const moeTab = await moe.open();
    const moeHears = recordEvents(moeTab);
    expect(codeOf(await ask(host, 'call:invite', { callId, professionalId: moe.id }))).to.equal('ok');
    await moeHears.waitFor('call:invited');
    expect(codeOf(await ask(host, 'call:withdraw-invitation', { callId, professionalId: moe.id }))).to.equal('ok');
    await moeHears.waitFor('call:invitations-changed');
    expect(await pending(moeTab)).to.deep.equal([]);
    expect(codeOf(await ask(moeTab, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }))).to.equal('not_found');
    expect(await server.redis.client.zscore(keys.history(org.org.id, moe.id), callId)).to.equal(null);
    expect(codeOf(await ask(host, 'call:withdraw-invitation', { callId, professionalId: moe.id })), 'twice').to.equal('not_found');
    expect(codeOf(await ask(host, 'call:withdraw-invitation', { callId, professionalId: lund.id })), 'joined').to.equal('not_found');
    expect(codeOf(await ask(moeTab, 'call:withdraw-invitation', { callId, professionalId: lund.id })), 'not in the call').to.equal('not_found');
    expect(codeOf(await ask(visitor as unknown as ProfessionalClient, 'call:withdraw-invitation', { callId, professionalId: lund.id })), 'a visitor').to.equal('bad_request');
    // Asked again after the withdrawal: offered again.
    expect(codeOf(await ask(host, 'call:invite', { callId, professionalId: moe.id }))).to.equal('ok');
    expect(await pending(moeTab)).to.deep.equal([{ callId, by: org.professional.name }]);

    // Bad input is refused with a code and changes nothing.
    expect(codeOf(await ask(tabB, 'call:invitations', { callId } as never))).to.equal('bad_request');
    for (const s of [host, visitor, first, second, tabA, tabB, moeTab]) s.disconnect();
  });
});
