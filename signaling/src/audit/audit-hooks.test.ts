import { FieldCipher } from '../crypto/field-cipher.ts';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { DEFAULT_CHECK_IN, type AuditEntryView, type Me, type VisitResponse } from '../../protocol/index.ts';
import { hashSecret } from '../ids.ts';
import { keys } from '../redis/keys.ts';
import { connectRedis } from '../redis/connection.ts';
import { createLogger } from '../logger.ts';
import { OrganizationStore } from '../organizations/organization-store.ts';
import { seedDemo } from '../organizations/seed.ts';
import { startRedis } from '../test-support/redis-server.ts';
import {
  addMember,
  ask,
  cookiePairOf,
  createOrganization,
  deviceRtpCapabilities,
  joinWaitingRoom,
  login,
  postJson,
  professionalSocket,
  sessionCookieFor,
  startTestServer,
  testPublicKey,
  unusedCode,
  visitorSocket,
  type TestMember,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { AuditLog } from './audit-log.ts';

/*
 * What the features write in the audit log as people use the service (real server, Redis, mediasoup):
 * logins, failed logins, logouts, admissions and the rest of the waiting room, calls, the history, admin
 * changes, the operator's seed. And what an entry never holds: a name, an e-mail address, a phone number,
 * a session's secret, an address in clear.
 */
describe('audit log: what each action writes (real server, Redis)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let org: TestOrganization;
  let admin: TestMember;
  const PHONE = '+4791234567';
  const visitorNames = ['Ola Nordmann', 'Kari Nordmann', 'Per Hansen'];

  before(async () => {
    server = await startTestServer({ env: { DATA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` } });
    org = await createOrganization(server.services, { name: 'Fjord Clinic' });
    admin = await addMember(server.services, org.org.id, { name: 'Anne Admin', role: 'admin' });
  });
  after(async () => {
    await server?.close();
  });

  /** The organization's entries, oldest first. */
  async function entries(orgId = org.org.id): Promise<AuditEntryView[]> {
    const all: AuditEntryView[] = [];
    for await (const e of server.services.audit.each(orgId, {})) all.push(e);
    return all;
  }
  const newSince = async (count: number) => (await entries()).slice(count);
  const secretOf = (cookie: string) => cookie.split('.')[1]!;

  /** A member as a completed login leaves them (without waiting for fresh authenticator codes). */
  async function loggedIn(memberId: string) {
    const cookie = `consult_sid=${await sessionCookieFor(server, org.org.id, memberId)}`;
    const me = (await (await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).json()) as Me;
    return { cookie, csrfToken: me.csrfToken, sessionHash: hashSecret(secretOf(cookie)) };
  }

  it('a password + authenticator login: the login with its method, the session’s hash (not its secret) and the address encrypted', async () => {
    const before = (await entries()).length;
    const { cookie } = await login(server, org.professional.email, org.professional.password);
    const [entry, ...rest] = await newSince(before);
    expect(rest).to.deep.equal([]);
    expect(entry).to.deep.include({
      actor: org.professional.id,
      action: 'login',
      sessionHash: hashSecret(secretOf(cookie)),
      hasAddress: true,
      detail: { method: 'password_totp', secondFactor: 'set_up' },
    });
    expect(await server.services.audit.address(org.org.id, entry!.id)).to.match(/127\.0\.0\.1$/);
    const raw = JSON.stringify(await server.redis.client.xrange(keys.audit(org.org.id), '-', '+'));
    expect(raw).not.to.contain(secretOf(cookie));
    expect(raw).not.to.contain('127.0.0.1');
  });

  it('failed logins on a known account are audited against it (wrong password, wrong code); an unknown e-mail writes nothing', async () => {
    const before = (await entries()).length;
    const auditKeys = async () => (await server.redis.client.keys('*:audit')).length;
    const keysBefore = await auditKeys();
    expect((await postJson(server, '/api/auth/login', { email: 'nobody@example.com', password: 'x' })).status).to.equal(401);
    expect((await postJson(server, '/api/auth/login', { email: org.professional.email, password: 'wrong' })).status).to.equal(401);

    const res = await postJson(server, '/api/auth/login', { email: org.professional.email, password: org.professional.password });
    const cookie = cookiePairOf(res)!;
    const me = (await res.json()) as Me;
    const right = await unusedCode(server, org.professional.id, org.org.id);
    const wrong = right.replace(/.$/, (d) => String((Number(d) + 5) % 10));
    expect((await postJson(server, '/api/auth/second-factor', { code: wrong }, { cookie, 'x-csrf-token': me.csrfToken })).status).to.equal(401);

    const added = await newSince(before);
    expect(added.map((e) => [e.actor, e.action, e.targetId, e.detail])).to.deep.equal([
      ['system', 'login_failed', org.professional.id, { method: 'password_totp', step: 'password' }],
      ['system', 'login_failed', org.professional.id, { method: 'password_totp', step: 'second_factor' }],
    ]);
    expect(added[1]!.sessionHash).to.equal(hashSecret(secretOf(cookie)));
    expect(await auditKeys(), 'no log anywhere for an unknown account').to.equal(keysBefore);
  });

  it('a login that cannot be recorded is refused, and its session stays unable to do anything; logout is audited', async () => {
    const head = keys.auditHead(org.org.id);
    const res = await postJson(server, '/api/auth/login', { email: org.professional.email, password: org.professional.password });
    const cookie = cookiePairOf(res)!;
    const headers = { cookie, 'x-csrf-token': ((await res.json()) as Me).csrfToken };
    const code = await unusedCode(server, org.professional.id, org.org.id);
    // The chain's head made unreadable: every append fails until it is back.
    const saved = await server.redis.client.hgetall(head);
    await server.redis.client.del(head);
    await server.redis.client.set(head, 'not a hash');
    try {
      const refused = await postJson(server, '/api/auth/second-factor', { code }, headers);
      expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).to.deep.equal([503, 'audit_unavailable']);
    } finally {
      await server.redis.client.del(head);
      await server.redis.client.hset(head, saved);
    }
    expect((await fetch(`${server.url}/api/history`, { headers: { cookie } })).status, 'still only half logged in').to.equal(403);
    const warning = server.logs().find((l) => l.includes('audit entry not written'));
    expect(JSON.parse(warning!)).to.include({ orgId: org.org.id, action: 'login' });

    const auth = await loggedIn(org.professional.id);
    const before = (await entries()).length;
    expect((await postJson(server, '/api/auth/logout', {}, { cookie: auth.cookie, 'x-csrf-token': auth.csrfToken })).status).to.equal(204);
    const [logout] = await newSince(before);
    expect(logout).to.deep.include({ actor: org.professional.id, action: 'logout', sessionHash: hashSecret(secretOf(auth.cookie)) });
  });

  it('admit, call start, send back, call end, deny and transfer, each by the professional with their session', async () => {
    const before = (await entries()).length;
    const { sessionHash, cookie } = await loggedIn(org.professional.id);
    const caps = await deviceRtpCapabilities(server);
    const pro = await professionalSocket(server, cookie);
    const { visitorId, visitorToken } = await joinWaitingRoom(server, org.room.slug, visitorNames[0]!);
    const visitor = await visitorSocket(server, visitorToken);
    const admitted = await ask(pro, 'queue:admit', { visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const { callId } = admitted;
    for (const socket of [visitor, pro]) expect((await ask(socket, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })).ok).to.equal(true);
    expect((await ask(pro, 'call:send-back', { callId })).ok).to.equal(true);
    expect((await ask(pro, 'call:hang-up', { callId })).ok).to.equal(true);

    const visit = async (name: string) => {
      const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name, phone: PHONE } });
      expect(res.status).to.equal(201);
      return (await res.json()) as VisitResponse;
    };
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, { ...DEFAULT_CHECK_IN, phone: { enabled: true, required: true } });
    const kari = await visit(visitorNames[1]!);
    const per = await visit(visitorNames[2]!);
    const reception = await server.services.organizations.createRoom(org.org.id, { slug: 'fjord-desk', name: 'Reception', kind: 'shared', members: [] });
    expect((await ask(pro, 'queue:deny', { visitorId: kari.visitorId, message: `Ring oss på ${PHONE}, Kari.` })).ok).to.equal(true);
    expect((await ask(pro, 'queue:transfer', { visitorId: per.visitorId, roomId: reception.id })).ok).to.equal(true);
    pro.disconnect();
    visitor.disconnect();

    const added = await newSince(before);
    expect(added.map((e) => [e.action, e.targetId, e.detail])).to.deep.equal([
      ['admit', visitorId, { callId, roomId: org.room.id }],
      ['call_start', callId, { visitorId }],
      ['send_back', visitorId, { callId }],
      ['call_end', callId, { by: 'professional', seconds: added[3]!.detail.seconds }],
      ['deny', kari.visitorId, { roomId: org.room.id }],
      ['transfer', per.visitorId, { from: org.room.id, to: reception.id }],
    ]);
    for (const e of added) expect(e, e.action).to.include({ actor: org.professional.id, sessionHash, hasAddress: true });
  });

  it('viewing the history is audited', async () => {
    const auth = await loggedIn(org.professional.id);
    const before = (await entries()).length;
    expect((await fetch(`${server.url}/api/history`, { headers: { cookie: auth.cookie } })).status).to.equal(200);
    const [viewed] = await newSince(before);
    expect(viewed).to.deep.include({ actor: org.professional.id, action: 'view_history', targetId: org.professional.id, detail: { calls: 1 } });
  });

  it('admin changes: settings as settings_change, members as member_change, with the change’s name', async () => {
    const auth = await loggedIn(admin.id);
    const headers = { cookie: auth.cookie, 'x-csrf-token': auth.csrfToken, origin: server.origin, 'content-type': 'application/json' };
    const leaving = await addMember(server.services, org.org.id, { name: 'Dr. Leaving' });
    const before = (await entries()).length;
    expect((await fetch(`${server.url}/api/admin/organization`, { method: 'PATCH', headers, body: JSON.stringify({ visitorScreenShare: true }) })).status).to.equal(200);
    expect((await fetch(`${server.url}/api/admin/members/${leaving.id}`, { method: 'DELETE', headers })).status).to.equal(204);
    const invited = await fetch(`${server.url}/api/admin/invitations`, { method: 'POST', headers, body: JSON.stringify({ name: 'Dr. New', email: 'new@example.com', role: 'professional' }) });
    expect(invited.status).to.equal(201);
    const added = await newSince(before);
    expect(added.map((e) => [e.actor, e.action, e.targetId, e.detail])).to.deep.equal([
      [admin.id, 'settings_change', null, { change: 'settings-changed', about: 'visitorScreenShare' }],
      [admin.id, 'member_change', leaving.id, { change: 'member_removed' }],
      [admin.id, 'member_change', null, { change: 'member_invited', about: 'professional' }],
    ]);
  });

  it('no entry holds a name, an e-mail address, a phone number or a message, and every entry is plain ids and words', async () => {
    const all = await entries();
    expect(all.length, "the entries of the tests above").to.be.at.least(14);
    const raw = JSON.stringify([
      await server.redis.client.xrange(keys.audit(org.org.id), '-', '+'),
      await server.redis.client.hgetall(keys.auditHead(org.org.id)),
    ]);
    for (const personal of [...visitorNames, 'Kari', PHONE, PHONE.slice(3), org.professional.name, org.professional.email, admin.name, admin.email, 'Dr. Leaving', 'new@example.com', 'Fjord']) {
      expect(raw, personal).not.to.contain(personal);
    }
    for (const e of all) expect(e.actor, e.id).to.match(/^([0-9a-f]{32}|system|operator)$/);
  });

  it('seeding the demo organization is an operator command in its log', async () => {
    const redis = await startRedis();
    const conn = connectRedis(redis.url);
    try {
      const organizations = new OrganizationStore(conn, new FieldCipher([{ id: 't1', key: randomBytes(32) }]), 'x'.repeat(32));
      const audit = new AuditLog(conn, createLogger('silent'), undefined);
      expect(await seedDemo(organizations, audit)).to.not.equal(null);
      const [orgId] = await conn.smembers(keys.organizations());
      const list = await audit.list(orgId!, {});
      expect(list.entries.map((e) => [e.actor, e.action, e.targetId, e.detail.command])).to.deep.equal([['operator', 'operator_command', orgId, 'seed_demo']]);
    } finally {
      await conn.quit();
      await redis.stop();
    }
  });
});
