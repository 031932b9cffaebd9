import { expect } from 'chai';
import type { ProfessionalLinkRedeemed, VisitResponse } from '../../protocol/index.ts';
import { SessionStore } from '../auth/session-store.ts';
import { cancelConsultation } from '../consultations/schedule.ts';
import type { AppError } from '../errors.ts';
import { sessionCookieName } from '../http/request-guards.ts';
import { hashSecret } from '../ids.ts';
import { keys } from '../redis/keys.ts';
import { closeOrganization } from '../retention/organization-deletion.ts';
import { filledPath, routesOf } from '../test-support/routes.ts';
import {
  addMember,
  askRaw,
  cookiePairOf,
  createOrganization,
  deviceRtpCapabilities,
  disconnected,
  embeddedSocket,
  memberApi,
  postJson,
  professionalSocket,
  redeemProfessionalLink,
  refusedConnection,
  startTestServer,
  testPublicKey,
  visitorSocket,
  type TestMember,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { professionalLinkHandler } from './embedding-routes.ts';

/*
 * What a professional link may open, against a real server, Redis and mediasoup. The EHR that asks for the
 * link holds only an API key: whoever holds that key (a leaked config, a compromised EHR) must get no more
 * than the one consultation the link names, at the top level as in an iframe. No cookie, no dashboard, no
 * admin page, no other consultation; and the session ends with the consultation.
 */
const CHECK_SECONDS = 4;

describe('a professional link opens its one consultation, never the dashboard (real server, Redis, mediasoup)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let org: TestOrganization;
  let admin: TestMember;

  before(async () => {
    // Sessions re-checked every 4 s: what ends "at once" must end well before the next check.
    server = await startTestServer({ env: { SESSION_CHECK_SECONDS: String(CHECK_SECONDS) } });
    org = await createOrganization(server.services, { name: 'Fjord Clinic' });
    admin = await addMember(server.services, org.org.id, { role: 'admin' });
  });
  after(async () => {
    await server?.close();
  });

  const consultationIn = async () => {
    const { consultation, token } = await server.services.consultations.create(
      { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null },
      86_400_000,
    );
    return { consultationId: consultation.id, visitorLink: token };
  };
  const linkFor = async (consultationId: string, professionalId = admin.id) =>
    /#link=(.+)$/.exec((await professionalLinkHandler(server.services, org.org.id, consultationId, { professionalId })).url)![1]!;
  const opened = async (consultationId: string, professionalId = admin.id) => {
    const res = await redeemProfessionalLink(server, await linkFor(consultationId, professionalId));
    expect(res.status).to.equal(200);
    expect(cookiePairOf(res)).to.equal(null);
    return (await res.json()) as ProfessionalLinkRedeemed;
  };
  const checkIn = async (visitorLink: string, name: string) => {
    const res = await postJson(server, '/api/visits', { consultation: visitorLink, answers: { name } });
    expect(res.status).to.equal(201);
    return (await res.json()) as VisitResponse;
  };
  const codeOf = (ack: unknown) => (ack as { error?: { code: string } }).error?.code;

  it('an admin’s link opened at the top level sets no cookie, and every /api/admin route refuses what it gives', async () => {
    const { consultationId } = await consultationIn();
    // What the page at the top level used to ask for: a login session. There is no such thing any more.
    const asBefore = await postJson(server, '/api/professional-links/redeem', { token: await linkFor(consultationId), mode: 'session' });
    expect(asBefore.status).to.equal(400);
    expect(cookiePairOf(asBefore)).to.equal(null);

    const { embedToken, consultationId: openedId } = await opened(consultationId);
    expect(openedId).to.equal(consultationId);
    const asCookie = `${sessionCookieName(false)}=${embedToken}`;
    const adminRoutes = routesOf(server.app).filter((r) => r.path.startsWith('/api/admin/') || r.path === '/api/admin');
    // The walk finds the routes themselves (a new admin route is covered without touching this test).
    expect(adminRoutes.length).to.be.greaterThan(20);
    expect(adminRoutes).to.deep.include({ method: 'DELETE', path: '/api/admin/members/:id' });
    expect(adminRoutes).to.deep.include({ method: 'POST', path: '/api/admin/api-keys' });
    const answered: string[] = [];
    for (const { method, path } of adminRoutes) {
      const res = await fetch(`${server.url}${filledPath(path)}`, {
        method,
        headers: { origin: server.origin, 'content-type': 'application/json', cookie: asCookie, authorization: `Bearer ${embedToken}` },
        body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
      });
      await res.body?.cancel();
      if (res.status !== 401) answered.push(`${method} ${path}: ${res.status}`);
    }
    expect(answered).to.deep.equal([]);
    // Nor does it open the dashboard: not its API, not its socket.
    expect((await fetch(`${server.url}/api/auth/me`, { headers: { cookie: asCookie, authorization: `Bearer ${embedToken}` } })).status).to.equal(401);
    expect(await refusedConnection(professionalSocket(server, asCookie))).to.equal('unauthorized');
  });

  it('its socket hears of no other consultation’s visitor, and cannot admit them or touch their call', async () => {
    const mine = await consultationIn();
    const theirs = await consultationIn();
    const socket = await embeddedSocket(server, (await opened(mine.consultationId)).embedToken);
    const heard: unknown[] = [];
    socket.on('consultation:visitor', (v: unknown) => heard.push(v));
    const theirSocket = await embeddedSocket(server, (await opened(theirs.consultationId, org.professional.id)).embedToken);
    const theirsHeard = new Promise((resolve) => theirSocket.once('consultation:visitor', resolve));

    const visit = await checkIn(theirs.visitorLink, 'Kari Nordmann');
    const visitor = await visitorSocket(server, visit.visitorToken);
    await theirsHeard;
    expect(await askRaw(socket, 'consultation:status', {})).to.deep.equal({ ok: true, visitor: null, callId: null });
    expect(codeOf(await askRaw(socket, 'consultation:admit', {}))).to.equal('not_waiting');
    expect((await server.services.waitingRoom.getVisitor(org.org.id, visit.visitorId))?.state).to.equal('waiting');

    const admitted = (await askRaw(theirSocket, 'consultation:admit', {})) as { ok: true; callId: string };
    expect(admitted.ok).to.equal(true);
    const caps = await deviceRtpCapabilities(server);
    expect(codeOf(await askRaw(socket, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey }))).to.equal('not_found');
    expect(codeOf(await askRaw(socket, 'call:hang-up', { callId: admitted.callId }))).to.equal('not_found');
    expect((await server.services.waitingRoom.getVisitor(org.org.id, visit.visitorId))?.state).to.equal('in_call');
    expect(heard).to.deep.equal([]);
    expect(JSON.stringify(await askRaw(socket, 'consultation:status', {}))).not.to.contain(visit.visitorId);
    visitor.disconnect();
  });

  it('its session ends when the consultation’s call ends: the view is told and closed, the token opens nothing again', async () => {
    const { consultationId, visitorLink } = await consultationIn();
    const { embedToken } = await opened(consultationId);
    const sessionKey = keys.embedSession(org.org.id, hashSecret(embedToken.split('.')[1]!));
    const socket = await embeddedSocket(server, embedToken);
    const arrived = new Promise((resolve) => socket.once('consultation:visitor', resolve));
    const visitor = await visitorSocket(server, (await checkIn(visitorLink, 'Ola Nordmann')).visitorToken);
    await arrived;
    const { callId } = (await askRaw(socket, 'consultation:admit', {})) as { callId: string };
    const told = new Promise((resolve) => socket.once('session:ended', () => resolve('told')));
    expect(await askRaw(socket, 'call:hang-up', { callId })).to.deep.equal({ ok: true });
    expect(await told).to.equal('told');
    await disconnected(socket);
    expect(await server.redis.client.exists(sessionKey)).to.equal(0);
    expect(await refusedConnection(embeddedSocket(server, embedToken))).to.equal('unauthorized');
    // An ended consultation: a new link for it opens nothing either.
    const again = await professionalLinkHandler(server.services, org.org.id, consultationId, { professionalId: admin.id }).then(
      () => 'issued',
      (err: AppError) => err.code,
    );
    expect(again).to.equal('not_found');
    visitor.disconnect();
  });

  it('its session ends when the consultation is cancelled', async () => {
    const { consultationId } = await consultationIn();
    const { embedToken } = await opened(consultationId);
    const socket = await embeddedSocket(server, embedToken);
    const told = new Promise((resolve) => socket.once('session:ended', () => resolve('told')));
    await cancelConsultation(server.services, org.org.id, consultationId, { memberId: org.professional.id });
    expect(await told).to.equal('told');
    await disconnected(socket);
    expect(await refusedConnection(embeddedSocket(server, embedToken))).to.equal('unauthorized');
  });

  describe('its session ends with its member’s sessions, as a dashboard’s does', () => {
    /** An open consultation view of a member of `o`, its socket and its session's key. */
    const openView = async (o: TestOrganization, member: { id: string }) => {
      const { consultation } = await server.services.consultations.create({ orgId: o.org.id, roomId: o.room.id, professionalId: o.professional.id, scheduledAt: null }, 86_400_000);
      const link = await professionalLinkHandler(server.services, o.org.id, consultation.id, { professionalId: member.id });
      const res = await redeemProfessionalLink(server, /#link=(.+)$/.exec(link.url)![1]!);
      const { embedToken } = (await res.json()) as ProfessionalLinkRedeemed;
      const socket = await embeddedSocket(server, embedToken);
      const told = new Promise((resolve) => socket.once('session:ended', () => resolve('told')));
      return { embedToken, socket, told, key: keys.embedSession(o.org.id, hashSecret(embedToken.split('.')[1]!)) };
    };
    /** Closed at once: told and disconnected well before the periodic check could have done it. */
    const endedAtOnce = async (view: Awaited<ReturnType<typeof openView>>) => {
      const startedAt = Date.now();
      await disconnected(view.socket, (CHECK_SECONDS * 1000) / 2);
      expect(await view.told).to.equal('told');
      expect(Date.now() - startedAt).to.be.below((CHECK_SECONDS * 1000) / 2);
      expect(await server.redis.client.exists(view.key)).to.equal(0);
      expect(await refusedConnection(embeddedSocket(server, view.embedToken))).to.equal('unauthorized');
    };

    it('the member is removed: their consultation view closes at once', async () => {
      const member = await addMember(server.services, org.org.id, { role: 'admin' });
      const view = await openView(org, member);
      const res = await (await memberApi(server, org.org.id, admin.id)).call('DELETE', `/api/admin/members/${member.id}`);
      expect(res.status).to.equal(204);
      await endedAtOnce(view);
    });

    it('the member’s password is reset: their consultation view closes at once', async () => {
      const member = await addMember(server.services, org.org.id, { role: 'admin' });
      const view = await openView(org, member);
      const res = await (await memberApi(server, org.org.id, admin.id)).call('POST', `/api/admin/members/${member.id}/reset-password`);
      expect(res.status).to.equal(200);
      await endedAtOnce(view);
    });

    it('the organization is closed (from another process): the session is gone at once, its view closes at the next check', async () => {
      const closing = await createOrganization(server.services);
      const view = await openView(closing, closing.professional);
      // As `npm run org:close` does it: its own process, with no socket to tell.
      await closeOrganization(
        { redis: server.redis.client, organizations: server.services.organizations, sessions: new SessionStore(server.redis.client, 1, 1), apiKeys: server.services.apiKeys },
        closing.org.id,
      );
      expect(await server.redis.client.exists(view.key)).to.equal(0);
      expect(await refusedConnection(embeddedSocket(server, view.embedToken))).to.equal('unauthorized');
      await disconnected(view.socket, CHECK_SECONDS * 1000 + 3000);
      expect(await view.told).to.equal('told');
    });
  });
});
