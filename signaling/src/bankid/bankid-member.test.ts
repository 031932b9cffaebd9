import { expect } from 'chai';
import type { BankIdLoginOptions, BankIdStarted, Me, MemberBankIdInfo, MemberBankIdList } from '../../protocol/index.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { hashSecret } from '../ids.ts';
import { addMember, createOrganization, postJson, sessionCookieFor, type TestServer } from '../test-support/test-server.ts';
import { CookieJar, passBroker, TEST_PERSONS, type BankIdBroker, type Misbehaviour, type TestPerson } from '../test-support/bankid-broker.ts';
import { adminOf, setUpBankId, startBankIdServer, type AdminAuth } from '../test-support/bankid-setup.ts';

/*
 * Members log in with BankID instead of password and authenticator app, once their identity is bound: a
 * BankID login while logged in, approved by an admin. The identity is kept only as a keyed hash.
 */
describe('BankID login for members: binding, approval, login (real server, Redis, oidc-provider)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let broker: BankIdBroker;
  let orgId: string;
  let admin: AdminAuth & { id: string };

  before(async () => {
    ({ server, broker } = await startBankIdServer());
    orgId = (await createOrganization(server.services)).org.id;
    admin = await adminOf(server, orgId);
    await setUpBankId(server, admin, broker);
  });
  afterEach(() => broker.misbehave(null));
  after(async () => {
    await broker?.close();
    await server?.close();
  });

  interface Member {
    id: string;
    jar: CookieJar;
    headers: Record<string, string>;
  }

  /** A member logged in (as a completed password login leaves them), in a browser of their own. */
  async function loggedInMember(at = orgId): Promise<Member> {
    const m = await addMember(server.services, at);
    const cookie = `consult_sid=${await sessionCookieFor(server, at, m.id)}`;
    const me = (await (await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).json()) as Me;
    const jar = new CookieJar();
    jar.set(server.origin, cookie);
    return { id: m.id, jar, headers: { cookie, 'x-csrf-token': me.csrfToken } };
  }

  /** The member binds their BankID as `person`; answers where the callback sends them. */
  async function link(member: Member, person: TestPerson): Promise<string> {
    const res = await postJson(server, '/api/bankid/link/start', {}, member.headers);
    expect(res.status, await res.clone().text()).to.equal(200);
    member.jar.store(server.url, res);
    const { authorizationUrl } = (await res.json()) as BankIdStarted;
    expect(new URL(authorizationUrl).searchParams.get('scope'), 'no national id asked for members').to.equal('openid');
    const back = await member.jar.get(await passBroker(member.jar, authorizationUrl, person));
    return back.headers.get('location')!;
  }

  const approve = (memberId: string, auth: AdminAuth = admin) =>
    fetch(`${server.url}/api/admin/members/${memberId}/bankid/approve`, { method: 'POST', headers: { origin: server.origin, ...auth.headers } });

  /** A BankID login from the dashboard's login page, in a new browser: the callback's response. */
  async function bankIdLogin(person: TestPerson | 'cancel', organization = orgId, misbehave?: Misbehaviour): Promise<Response> {
    const jar = new CookieJar();
    const res = await postJson(server, '/api/bankid/login/start', { organization });
    expect(res.status, await res.clone().text()).to.equal(200);
    jar.store(server.url, res);
    const back = await passBroker(jar, ((await res.json()) as BankIdStarted).authorizationUrl, person);
    if (misbehave) broker.misbehave(misbehave);
    return jar.get(back);
  }

  const sessionCookieOf = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith('consult_sid='))?.split(';')[0];
  const stateOf = async (member: Member) => ((await (await fetch(`${server.url}/api/bankid/link`, { headers: member.headers })).json()) as MemberBankIdInfo).state;

  it('binds a member’s BankID once, after an admin approves; then BankID logs them in with a full session', async () => {
    const member = await loggedInMember();
    expect(await (await fetch(`${server.url}/api/bankid/link`, { headers: member.headers })).json()).to.deep.equal({ offered: true, state: 'none' });
    expect(await link(member, TEST_PERSONS.kari)).to.equal(`${server.origin}/dashboard/#bankid=link-pending`);
    expect(await stateOf(member)).to.equal('pending');

    // Not yet approved: a BankID login is refused, and looks like any other failure.
    const early = await bankIdLogin(TEST_PERSONS.kari);
    expect(early.headers.get('location')).to.equal(`${server.origin}/dashboard/#bankid=failed`);
    expect(sessionCookieOf(early)).to.equal(undefined);

    const list = (await (await fetch(`${server.url}/api/admin/bankid/members`, { headers: admin.headers })).json()) as MemberBankIdList;
    expect(list.members.find((m) => m.id === member.id)?.state).to.equal('pending');
    expect((await approve(member.id)).status).to.equal(204);
    expect(await stateOf(member)).to.equal('bound');

    const res = await bankIdLogin(TEST_PERSONS.kari);
    expect(res.status).to.equal(303);
    expect(res.headers.get('location')).to.equal(`${server.origin}/dashboard/`);
    const cookie = sessionCookieOf(res)!;
    expect(cookie).to.match(/^consult_sid=[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    const me = (await (await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).json()) as Me;
    expect(me.professional.id).to.equal(member.id);
    expect(me.pending, 'BankID instead of password and authenticator: nothing left to do').to.equal(null);
    expect((await fetch(`${server.url}/api/history`, { headers: { cookie } })).status).to.equal(200);

    // Kept only as a keyed hash: neither the broker's sub nor the person's number nor name is in Redis or the logs.
    const stored = JSON.stringify([...(await dumpRedis(server.redis.client)).entries()]);
    for (const secret of [broker.subOf(TEST_PERSONS.kari), TEST_PERSONS.kari.socialno, TEST_PERSONS.kari.name]) {
      expect(stored).not.to.include(secret);
      for (const line of server.logs()) expect(line).not.to.include(secret);
    }
    const loginLine = server.logs().map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.method === 'bankid');
    expect(loginLine).to.include({ msg: 'professional logged in', professionalId: member.id });

    // In the organization's audit log: the approval by the admin, and a BankID login with the new session's
    // hash (never its secret).
    const audited = (await server.services.audit.list(orgId, { limit: 200 })).entries;
    const login = audited.find((e) => e.action === 'login' && e.actor === member.id);
    expect(login, 'login audited').to.deep.include({ sessionHash: hashSecret(cookie.split('.')[1]!), detail: { method: 'bankid' } });
    expect(audited.find((e) => e.action === 'member_change' && e.targetId === member.id)).to.deep.include({ actor: admin.id, detail: { change: 'bankid_binding_approved' } });
  });

  it('an identity that is not bound, a cancel, and each id token defect log no one in, and look alike', async () => {
    const member = await loggedInMember();
    await link(member, TEST_PERSONS.ola);
    expect((await approve(member.id)).status).to.equal(204);

    const notBound = await bankIdLogin(TEST_PERSONS.per);
    expect(notBound.headers.get('location')).to.equal(`${server.origin}/dashboard/#bankid=failed`);
    expect(sessionCookieOf(notBound)).to.equal(undefined);
    const cancelled = await bankIdLogin('cancel');
    expect(cancelled.headers.get('location')).to.equal(`${server.origin}/dashboard/#bankid=cancelled`);
    expect(sessionCookieOf(cancelled)).to.equal(undefined);
    for (const mode of ['expired', 'foreign-key', 'wrong-issuer', 'wrong-audience', 'wrong-nonce'] as const) {
      const res = await bankIdLogin(TEST_PERSONS.ola, orgId, mode);
      broker.misbehave(null);
      expect(res.headers.get('location'), mode).to.equal(`${server.origin}/dashboard/#bankid=failed`);
      expect(sessionCookieOf(res), mode).to.equal(undefined);
    }
    const good = await bankIdLogin(TEST_PERSONS.ola);
    expect(sessionCookieOf(good), 'the control: the same person, a well-behaved broker').to.match(/^consult_sid=/);
  });

  it('a person bound to no member of this organization logs in as no one', async () => {
    const other = await createOrganization(server.services);
    const otherAdmin = await adminOf(server, other.org.id);
    await setUpBankId(server, otherAdmin, broker);
    // Ola is bound in the first organization, not in this one.
    const res = await bankIdLogin(TEST_PERSONS.ola, other.org.id);
    expect(res.headers.get('location')).to.equal(`${server.origin}/dashboard/#bankid=failed`);
    expect(sessionCookieOf(res)).to.equal(undefined);
  });

  it('an identity bound to one member cannot be approved for another; removing a binding ends BankID login for that member', async () => {
    const other = (await createOrganization(server.services)).org.id;
    const otherAdmin = await adminOf(server, other);
    await setUpBankId(server, otherAdmin, broker);
    const first = await loggedInMember(other);
    const second = await loggedInMember(other);
    await link(first, TEST_PERSONS.per);
    expect((await approve(first.id, otherAdmin)).status).to.equal(204);
    await link(second, TEST_PERSONS.per);
    expect((await approve(second.id, otherAdmin)).status, 'already another member’s').to.equal(404);
    expect(await stateOf(second)).to.equal('pending');
    expect(sessionCookieOf(await bankIdLogin(TEST_PERSONS.per, other))).to.match(/^consult_sid=/);

    const removed = await fetch(`${server.url}/api/admin/members/${first.id}/bankid`, { method: 'DELETE', headers: { origin: server.origin, ...otherAdmin.headers } });
    expect(removed.status).to.equal(204);
    expect(await stateOf(first)).to.equal('none');
    expect((await approve(first.id, otherAdmin)).status, 'nothing waits').to.equal(404);
    expect(sessionCookieOf(await bankIdLogin(TEST_PERSONS.per, other)), 'the binding is gone').to.equal(undefined);
  });

  it('the login page learns nothing about organizations: unknown, without BankID and malformed all answer alike', async () => {
    const options = async (query: string) => (await (await fetch(`${server.url}/api/bankid/login-options${query}`)).json()) as BankIdLoginOptions;
    expect(await options(`?organization=${orgId}`)).to.deep.equal({ bankId: true });
    const without = await createOrganization(server.services);
    for (const query of [`?organization=${without.org.id}`, `?organization=${'0'.repeat(32)}`, '?organization=x', '', `?organization=${orgId}&extra=1`]) {
      expect(await options(query), query).to.deep.equal({ bankId: false });
    }
    const unknown = await postJson(server, '/api/bankid/login/start', { organization: '0'.repeat(32) });
    const off = await postJson(server, '/api/bankid/login/start', { organization: without.org.id });
    expect([unknown.status, off.status]).to.deep.equal([404, 404]);
    expect(await unknown.json()).to.deep.equal(await off.json());
    expect((await postJson(server, '/api/bankid/login/start', { organization: 'x' })).status).to.equal(400);
    expect((await postJson(server, '/api/bankid/login/start', {})).status).to.equal(400);
  });

  it('linking needs a logged-in member, the CSRF token, and the same member at the callback', async () => {
    expect((await postJson(server, '/api/bankid/link/start', {})).status).to.equal(401);
    const member = await loggedInMember();
    expect((await postJson(server, '/api/bankid/link/start', {}, { cookie: member.headers.cookie! })).status).to.equal(403);

    // Logged out while at the broker: nothing is bound.
    const res = await postJson(server, '/api/bankid/link/start', {}, member.headers);
    member.jar.store(server.url, res);
    const back = await passBroker(member.jar, ((await res.json()) as BankIdStarted).authorizationUrl, TEST_PERSONS.kari);
    await postJson(server, '/api/auth/logout', {}, member.headers);
    const callback = await member.jar.get(back);
    expect(callback.headers.get('location')).to.equal(`${server.origin}/dashboard/#bankid=failed`);
    expect(await server.redis.client.exists(`{org:${orgId}}:bankid-pending:${member.id}`)).to.equal(0);
  });
});
