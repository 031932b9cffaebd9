import fs from 'node:fs';
import { expect } from 'chai';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import {
  EMBED_NAMESPACE,
  PROFESSIONAL_LINK_TTL_MS,
  type AuditEntryView,
  type EmbeddedConsultationStatus,
  type Me,
  type ProfessionalLinkRedeemed,
  type VisitResponse,
} from '../../protocol/index.ts';
import { hashSecret } from '../ids.ts';
import { keys } from '../redis/keys.ts';
import { AppError } from '../errors.ts';
import {
  addMember,
  askRaw,
  joinWaitingRoom,
  visitorSocket,
  cookiePairOf,
  createOrganization,
  postJson,
  sessionCookieFor,
  startTestServer,
  stubAppDist,
  type TestMember,
  type TestOrganization,
  type TestServer,
  consultationPagePath,
} from '../test-support/test-server.ts';
import { professionalLinkHandler } from './embedding-routes.ts';
import { embedOriginProblem } from './embed-origins.ts';
import { ProfessionalLinks } from './professional-links.ts';
import { closeOrganization } from '../retention/organization-deletion.ts';
import { eventually } from '../test-support/eventually.ts';

/*
 * EHR embedding against a real server and Redis: the single-use professional link (once, 60 s, audited as
 * its own login method, every failure alike), the embedded session it gives an iframe (one consultation,
 * no cookie), the organization's frame-ancestors, and the admin setting behind them.
 */
describe('embedding: professional links, embedded sessions, frame-ancestors (real server, Redis)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let dist: string;
  let org: TestOrganization;
  let other: TestOrganization;
  let admin: TestMember;

  before(async () => {
    dist = stubAppDist();
    server = await startTestServer({ env: { CLIENT_DIST: dist, DASHBOARD_DIST: dist } });
    org = await createOrganization(server.services, { name: 'Fjord Clinic' });
    other = await createOrganization(server.services, { name: 'Other Clinic' });
    admin = await addMember(server.services, org.org.id, { role: 'admin' });
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dist, { recursive: true, force: true });
  });

  const consultationIn = async (o: TestOrganization) =>
    (await server.services.consultations.create({ orgId: o.org.id, roomId: o.room.id, professionalId: o.professional.id, scheduledAt: null }, 86_400_000)).consultation.id;
  const tokenOf = (url: string) => /#link=(.+)$/.exec(url)![1]!;
  const redeem = (token: unknown) => postJson(server, '/api/professional-links/redeem', { token });
  async function auditEntries(orgId: string): Promise<AuditEntryView[]> {
    const all: AuditEntryView[] = [];
    for await (const e of server.services.audit.each(orgId, {})) all.push(e);
    return all;
  }
  async function adminHeaders(memberId = admin.id) {
    const cookie = `consult_sid=${await sessionCookieFor(server, org.org.id, memberId)}`;
    const me = (await (await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).json()) as Me;
    return { cookie, 'x-csrf-token': me.csrfToken };
  }
  const putOrigins = async (origins: unknown, memberId = admin.id) =>
    fetch(`${server.url}/api/admin/embedding`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', origin: server.origin, ...(await adminHeaders(memberId)) },
      body: JSON.stringify({ origins }),
    });

  describe('the single-use professional link', () => {
    it('opens its consultation once, as the named member, with no cookie, audited as a single_use_link login', async () => {
      const consultationId = await consultationIn(org);
      const before = Date.now();
      const link = await professionalLinkHandler(server.services, org.org.id, consultationId, { professionalId: org.professional.id });
      expect(link.url).to.match(new RegExp(`^${server.origin}/dashboard/link/${org.org.id}#link=${org.org.id}\\.[A-Za-z0-9_-]{43}$`));
      const expiresIn = Date.parse(link.expiresAt) - before;
      expect(expiresIn).to.be.within(PROFESSIONAL_LINK_TTL_MS, PROFESSIONAL_LINK_TTL_MS + 5_000);
      // Only the hash of the secret is in Redis.
      const secret = tokenOf(link.url).split('.')[1]!;
      expect(JSON.stringify(await server.redis.client.keys('*'))).not.to.contain(secret);
      expect(await server.redis.client.exists(keys.professionalLink(org.org.id, hashSecret(secret)))).to.equal(1);

      const auditBefore = (await auditEntries(org.org.id)).length;
      const res = await redeem(tokenOf(link.url));
      expect(res.status).to.equal(200);
      expect(cookiePairOf(res)).to.equal(null);
      const body = (await res.json()) as ProfessionalLinkRedeemed;
      expect(body).to.deep.include({ consultationId, professionalName: org.professional.name, organizationName: 'Fjord Clinic' });
      const [entry, ...rest] = (await auditEntries(org.org.id)).slice(auditBefore);
      expect(rest).to.deep.equal([]);
      expect(entry).to.deep.include({ actor: org.professional.id, action: 'login', targetId: consultationId, detail: { method: 'single_use_link', embedded: true } });
      expect(entry!.sessionHash).to.equal(hashSecret(body.embedToken.split('.')[1]!));

      // Used: gone from Redis, and a second use is refused.
      expect(await server.redis.client.exists(keys.professionalLink(org.org.id, hashSecret(secret)))).to.equal(0);
      const again = await redeem(tokenOf(link.url));
      expect(again.status).to.equal(404);
      expect(cookiePairOf(again)).to.equal(null);
    });

    it('works for 60 s by the clock it is given, not a millisecond longer', async () => {
      const links = new ProfessionalLinks(server.redis.client, server.origin);
      const consultationId = await consultationIn(org);
      const t0 = 1_900_000_000_000;
      const a = await links.issue(org.org.id, consultationId, org.professional.id, t0);
      const b = await links.issue(org.org.id, consultationId, org.professional.id, t0);
      expect(a.expiresAt).to.equal(t0 + 60_000);
      expect(await links.redeem(a.token, t0 + 59_999)).to.deep.equal({ orgId: org.org.id, consultationId, professionalId: org.professional.id });
      expect(await links.redeem(b.token, t0 + 60_000)).to.equal(null);
      // And Redis lets the key go after the same 60 s.
      const c = await links.issue(org.org.id, consultationId, org.professional.id);
      const ttl = await server.redis.client.pttl(keys.professionalLink(org.org.id, hashSecret(c.token.split('.')[1]!)));
      expect(ttl).to.be.within(55_000, 60_000);
    });

    it('a second use, an expired link, a malformed one, an unknown one and another organization’s all get the same answer', async () => {
      const consultationId = await consultationIn(org);
      const used = tokenOf((await professionalLinkHandler(server.services, org.org.id, consultationId, { professionalId: org.professional.id })).url);
      expect((await redeem(used)).status).to.equal(200);
      // Issued 61 s ago (the clock is the handler's): still in Redis, but past its time.
      const expired = tokenOf((await professionalLinkHandler(server.services, org.org.id, consultationId, { professionalId: org.professional.id }, Date.now() - 61_000)).url);
      const unknown = `${org.org.id}.${'A'.repeat(43)}`;
      const wrongOrg = `${other.org.id}.${tokenOf((await professionalLinkHandler(server.services, org.org.id, consultationId, { professionalId: org.professional.id })).url).split('.')[1]}`;
      const answers = [];
      for (const token of [used, expired, unknown, wrongOrg]) {
        const res = await redeem(token);
        answers.push({ status: res.status, body: await res.json(), cookie: cookiePairOf(res) });
      }
      for (const a of answers) expect(a).to.deep.equal(answers[0]);
      expect(answers[0]).to.deep.include({ status: 404, cookie: null });
      // A malformed token is refused by the schema, as any bad input: a coded error, nothing changes.
      for (const bad of ['nonsense', `${org.org.id}.short`, 42, null]) {
        const res = await redeem(bad);
        expect(res.status).to.equal(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('bad_request');
      }
      // A failed use logs no one in.
      const logins = (await auditEntries(org.org.id)).filter((e) => e.action === 'login' && e.detail.method === 'single_use_link');
      expect(logins.length).to.be.greaterThan(0);
      expect(logins.filter((e) => e.targetId === consultationId)).to.have.length(1);
    });

    it('an organization whose contract ended: its links log no one in', async () => {
      const closing = await createOrganization(server.services);
      const link = await professionalLinkHandler(server.services, closing.org.id, await consultationIn(closing), { professionalId: closing.professional.id });
      await closeOrganization(server.services, closing.org.id);
      const res = await redeem(tokenOf(link.url));
      expect(res.status).to.equal(404);
      expect(cookiePairOf(res)).to.equal(null);
    });

    it('another organization’s consultation or member, or a member who may not act on the room: 404, as unknown ones', async () => {
      const mine = await consultationIn(org);
      const theirs = await consultationIn(other);
      const outsider = await addMember(server.services, org.org.id);
      const attempt = (orgId: string, consultationId: string, body: unknown) =>
        professionalLinkHandler(server.services, orgId, consultationId, body).then(
          () => 'issued',
          (err: AppError) => err.code,
        );
      expect(await attempt(org.org.id, theirs, { professionalId: org.professional.id })).to.equal('not_found');
      expect(await attempt(org.org.id, mine, { professionalId: other.professional.id })).to.equal('not_found');
      expect(await attempt(org.org.id, mine, { professionalId: outsider.id })).to.equal('not_found');
      expect(await attempt(org.org.id, 'not-an-id', { professionalId: org.professional.id })).to.equal('not_found');
      expect(await attempt(org.org.id, mine, { professionalId: 'x' })).to.equal('bad_request');
      expect(await attempt(org.org.id, mine, { professionalId: org.professional.id, extra: 1 })).to.equal('bad_request');
      expect(await attempt(org.org.id, mine, { professionalId: org.professional.id })).to.equal('issued');
    });
  });

  describe('the embedded session (in an iframe or at the top level, no cookie)', () => {
    function embeddedSocket(token: unknown): Promise<ClientSocket> {
      const socket = io(`${server.url}${EMBED_NAMESPACE}`, { transports: ['websocket'], extraHeaders: { origin: server.origin }, auth: { token }, reconnection: false, forceNew: true });
      return new Promise((resolve, reject) => {
        socket.once('connect', () => resolve(socket));
        socket.once('connect_error', (err) => {
          socket.disconnect();
          reject(err);
        });
      });
    }

    it('gives a bearer token for this consultation only: its socket sees the consultation and acts on no other call', async () => {
      const consultationId = await consultationIn(org);
      const link = await professionalLinkHandler(server.services, org.org.id, consultationId, { professionalId: org.professional.id });
      const auditBefore = (await auditEntries(org.org.id)).length;
      const res = await redeem(tokenOf(link.url));
      expect(res.status).to.equal(200);
      expect(cookiePairOf(res)).to.equal(null);
      const body = (await res.json()) as ProfessionalLinkRedeemed;
      expect(body).to.deep.include({ consultationId, professionalName: org.professional.name, organizationName: 'Fjord Clinic' });
      const [entry] = (await auditEntries(org.org.id)).slice(auditBefore);
      expect(entry).to.deep.include({ actor: org.professional.id, action: 'login', targetId: consultationId, detail: { method: 'single_use_link', embedded: true } });

      // Not a login session: as a cookie it opens nothing.
      expect((await fetch(`${server.url}/api/auth/me`, { headers: { cookie: `consult_sid=${body.embedToken}` } })).status).to.equal(401);

      const socket = await embeddedSocket(body.embedToken);
      const status = (await askRaw(socket, 'consultation:status', {})) as { ok: true } & EmbeddedConsultationStatus;
      expect(status).to.deep.equal({ ok: true, visitor: null, callId: null });
      expect(await askRaw(socket, 'consultation:admit', {})).to.deep.include({ ok: false });
      // Events of the dashboard's own socket do not exist here.
      expect(await askRaw(socket, 'queue:list', {})).to.deep.equal({ ok: false, error: { code: 'bad_request', message: 'unknown event' } });
      // A call that is not this consultation's is unknown.
      const hangUp = (await askRaw(socket, 'call:hang-up', { callId: 'a'.repeat(32) })) as { ok: boolean; error?: { code: string } };
      expect(hangUp.error?.code).to.equal('not_found');
      socket.disconnect();
    });

    it('hears its consultation’s visitor arrive (no one else in the room), admits them, and joins only their call', async () => {
      const { consultation, token: visitorLink } = await server.services.consultations.create(
        { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null },
        86_400_000,
      );
      const link = await professionalLinkHandler(server.services, org.org.id, consultation.id, { professionalId: org.professional.id });
      const { embedToken } = (await (await redeem(tokenOf(link.url))).json()) as ProfessionalLinkRedeemed;
      const socket = await embeddedSocket(embedToken);
      const heard: unknown[] = [];
      socket.on('consultation:visitor', (v: unknown) => heard.push(v));

      // Someone else walks into the same room first: the embedded view never hears of them.
      const walkIn = await joinWaitingRoom(server, org.room.slug, 'Walk In');
      const visit = await postJson(server, '/api/visits', { consultation: visitorLink, answers: { name: 'Kari Nordmann' } });
      expect(visit.status).to.equal(201);
      const { visitorId, visitorToken } = (await visit.json()) as VisitResponse;
      const visitor = await visitorSocket(server, visitorToken);
      await eventually(() => heard.length > 0, { what: 'the embedded view heard of its visitor' });
      expect(heard).to.have.length(1);
      expect(heard[0]).to.deep.include({ visitorId, name: 'Kari Nordmann', roomId: org.room.id });
      const status = (await askRaw(socket, 'consultation:status', {})) as EmbeddedConsultationStatus;
      expect(status.visitor?.visitorId).to.equal(visitorId);
      expect(JSON.stringify(status)).not.to.contain(walkIn.visitorId);

      const admitted = (await askRaw(socket, 'consultation:admit', {})) as { ok: true; callId: string };
      expect(admitted.ok).to.equal(true);
      expect((await server.services.waitingRoom.getVisitor(org.org.id, visitorId))?.state).to.equal('in_call');
      expect((await server.services.waitingRoom.getVisitor(org.org.id, walkIn.visitorId))?.state).to.equal('waiting');
      expect(await askRaw(socket, 'consultation:status', {})).to.deep.equal({ ok: true, visitor: null, callId: admitted.callId });
      // Its call: allowed (the call's host hangs it up for both); the visitor hears it end.
      const ended = new Promise((resolve) => visitor.once('call:ended', resolve));
      expect(await askRaw(socket, 'call:hang-up', { callId: admitted.callId })).to.deep.equal({ ok: true });
      expect(await ended).to.deep.equal({ callId: admitted.callId });
      socket.disconnect();
      visitor.disconnect();
    });

    it('a socket without a valid embedded token is refused', async () => {
      for (const token of [undefined, 'nonsense', `${org.org.id}.${'A'.repeat(43)}`]) {
        const refused = await embeddedSocket(token).then(
          (s) => {
            s.disconnect();
            return 'connected';
          },
          (err: Error) => err.message,
        );
        expect(refused).to.equal('unauthorized');
      }
    });
  });

  describe('who may frame the pages', () => {
    const frameAncestorsOf = (res: Response) => /frame-ancestors ([^;]+)/.exec(res.headers.get('content-security-policy') ?? '')?.[1];
    const page = async (path: string) => {
      const res = await fetch(`${server.url}${path}`);
      await res.body?.cancel();
      return { frameAncestors: frameAncestorsOf(res), xFrameOptions: res.headers.get('x-frame-options') };
    };

    it('the organization’s visitor pages and professional link page: exactly its origins; every other page and organization: none', async () => {
      const origins = ['https://ehr.example.com', 'http://localhost:8080'];
      expect((await putOrigins(origins)).status).to.equal(200);
      const { token } = await server.services.consultations.create({ orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null }, 86_400_000);
      const { token: otherToken } = await server.services.consultations.create({ orgId: other.org.id, roomId: other.room.id, professionalId: other.professional.id, scheduledAt: null }, 86_400_000);

      // A consultation's page as linked now, and as linked before (the secret in the path; still opened).
      for (const path of [consultationPagePath(token), `/c/${token}`, `/r/${org.room.slug}`, `/dashboard/link/${org.org.id}`]) {
        expect(await page(path), path).to.deep.equal({ frameAncestors: 'https://ehr.example.com http://localhost:8080', xFrameOptions: null });
      }
      for (const path of [consultationPagePath(otherToken), `/r/${other.room.slug}`, `/dashboard/link/${other.org.id}`, '/dashboard/', `/dashboard/link/${org.org.id}/x`, '/check', `/api/rooms/${org.room.slug}`]) {
        const seen = await page(path);
        expect(seen.frameAncestors, path).to.equal("'none'");
        expect(seen.xFrameOptions, path).to.equal('SAMEORIGIN');
      }
      // The embedded page learns whether it may post to its parent from the same list.
      const parent = (origin: string, path: string) => fetch(`${server.url}/api/embedding/parent?${new URLSearchParams({ page: path, origin })}`);
      expect(await (await parent('https://ehr.example.com', consultationPagePath(token))).json()).to.deep.equal({ origin: 'https://ehr.example.com' });
      expect((await parent('https://evil.example.com', consultationPagePath(token))).status).to.equal(404);
      expect((await parent('https://ehr.example.com', consultationPagePath(otherToken))).status).to.equal(404);

      // Removed: the next page load says none.
      expect((await putOrigins([])).status).to.equal(200);
      expect((await page(`/r/${org.room.slug}`)).frameAncestors).to.equal("'none'");
    });

    it('the admin setting refuses anything but exact https origins (http only for localhost), changes nothing then, and is audited', async () => {
      expect((await putOrigins(['https://ehr.example.com'])).status).to.equal(200);
      const bad = [
        ['http://ehr.example.com'],
        ['https://ehr.example.com/path'],
        ['https://ehr.example.com/'],
        ['*'],
        ['https://*.example.com'],
        ["https://ehr.example.com 'unsafe-inline'"],
        ['HTTPS://EHR.EXAMPLE.COM'],
        ['ftp://ehr.example.com'],
        ['https://a.example.com', 'https://a.example.com'],
        Array.from({ length: 21 }, (_, i) => `https://e${i}.example.com`),
        'https://ehr.example.com',
      ];
      for (const origins of bad) {
        const res = await putOrigins(origins);
        expect(res.status, JSON.stringify(origins)).to.equal(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('bad_request');
        expect(await server.services.embedding.origins.get(org.org.id)).to.deep.equal(['https://ehr.example.com']);
      }
      // A member who is not an admin is told it is for admins.
      expect((await putOrigins(['https://x.example.com'], org.professional.id)).status).to.equal(403);
      expect(await server.services.embedding.origins.get(org.org.id)).to.deep.equal(['https://ehr.example.com']);

      const auditBefore = (await auditEntries(org.org.id)).length;
      expect((await putOrigins(['https://ehr.example.com', 'http://127.0.0.1:9000'])).status).to.equal(200);
      const [entry] = (await auditEntries(org.org.id)).slice(auditBefore);
      expect(entry).to.deep.include({ actor: admin.id, action: 'settings_change', detail: { change: 'embed-origins-changed', about: 'embed_origins' } });
      const read = await fetch(`${server.url}/api/admin/embedding`, { headers: await adminHeaders() });
      expect(await read.json()).to.deep.equal({ origins: ['https://ehr.example.com', 'http://127.0.0.1:9000'] });
      await putOrigins([]);
    });

    it('in production, plain http is refused even for localhost', () => {
      expect(embedOriginProblem('http://localhost:8080', true)).to.be.a('string');
      expect(embedOriginProblem('http://localhost:8080', false)).to.equal(null);
      expect(embedOriginProblem('http://[::1]:8080', false)).to.equal(null);
      expect(embedOriginProblem('https://ehr.example.com', true)).to.equal(null);
      expect(embedOriginProblem('http://ehr.example.com', false)).to.be.a('string');
    });
  });
});
