import { expect } from 'chai';
import { DEFAULT_CHECK_IN, type BankIdStarted, type VisitResponse } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { scanKeys } from '../test-support/redis-keys.ts';
import { ask, createOrganization, login, postJson, professionalSocket, visitorSocket, type TestOrganization, type TestServer, consultationPagePath } from '../test-support/test-server.ts';
import { ACR, CookieJar, passBroker, TEST_PERSONS, type BankIdBroker, type Misbehaviour } from '../test-support/bankid-broker.ts';
import { adminOf, setUpBankId, startBankIdServer } from '../test-support/bankid-setup.ts';
import { readNationalId, readVisitorIdentity } from './visitor-identity.ts';

/*
 * A visitor in a room that asks for BankID goes to the organization's broker (a real OpenID Connect
 * provider standing in for it, driven over HTTP as a browser would) and comes back identified, or not:
 * cancelled, or refused for any defect in what came back, with nothing stored on the visitor.
 */
describe('BankID for visitors: the trip to the broker and back (real server, Redis, oidc-provider)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let broker: BankIdBroker;
  let org: TestOrganization;

  before(async () => {
    ({ server, broker } = await startBankIdServer());
    org = await createOrganization(server.services);
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, { ...DEFAULT_CHECK_IN, bankId: true });
    await setUpBankId(server, await adminOf(server, org.org.id), broker);
  });
  afterEach(() => broker.misbehave(null));
  after(async () => {
    await broker?.close();
    await server?.close();
  });

  interface Visit extends VisitResponse {
    org: TestOrganization;
    /** The visitor's browser: our cookies and the broker's. */
    jar: CookieJar;
  }

  async function checkIn(at: TestOrganization = org, name = 'Ola Nordmann'): Promise<Visit> {
    const res = await postJson(server, '/api/visits', { roomSlug: at.room.slug, answers: { name } });
    expect(res.status).to.equal(201);
    return { ...((await res.json()) as VisitResponse), org: at, jar: new CookieJar() };
  }

  function startRequest(visit: Pick<Visit, 'visitorToken'>, body: unknown, headers: Record<string, string> = {}) {
    return postJson(server, '/api/bankid/visitor/start', body, { authorization: `Bearer ${visit.visitorToken}`, ...headers });
  }

  async function start(visit: Visit, returnTo = `/r/${visit.org.room.slug}`): Promise<string> {
    const res = await startRequest(visit, { returnTo });
    expect(res.status, await res.clone().text()).to.equal(200);
    visit.jar.store(server.url, res);
    return ((await res.json()) as BankIdStarted).authorizationUrl;
  }

  /** Opens our callback as the browser would; answers where it sends the browser (or the status, if not a redirect). */
  async function callback(visit: Visit, url: string): Promise<string> {
    const res = await visit.jar.get(url);
    await res.body?.cancel();
    return res.status === 303 ? res.headers.get('location')! : `status ${res.status}`;
  }

  const fieldsOf = (visit: Visit) => server.redis.client.hgetall(keys.visitor(visit.org.org.id, visit.visitorId));
  const loginRecords = () => scanKeys(server.redis.client, 'bankid-login:*');
  const roomPage = (visit: Visit) => `${server.origin}/r/${visit.org.room.slug}`;

  it('identifies the visitor: verified name, birth date and the national id (encrypted) on their record; then they may enter', async () => {
    const visit = await checkIn();
    const authorizationUrl = await start(visit);
    const asked = new URL(authorizationUrl);
    expect(asked.origin).to.equal(broker.issuer);
    expect(asked.searchParams.get('scope')!.split(' ')).to.have.members(['openid', 'profile', 'ssn']);
    expect(asked.searchParams.get('acr_values')).to.equal(`${ACR.substantial} ${ACR.high}`);
    expect(asked.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(asked.searchParams.get('state')).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(asked.searchParams.get('nonce')).to.have.length.above(20);
    expect(await loginRecords()).to.have.length(1);
    const ttlOfRecord = await server.redis.client.pttl((await loginRecords())[0]!);
    expect(ttlOfRecord).to.be.within(1, 10 * 60_000);

    const back = await passBroker(visit.jar, authorizationUrl, TEST_PERSONS.ola);
    expect(back, 'the national id is never in a URL').not.to.include(TEST_PERSONS.ola.socialno);
    const ttlBefore = await server.redis.client.pttl(keys.visitor(org.org.id, visit.visitorId));
    expect(await callback(visit, back)).to.equal(`${roomPage(visit)}#bankid=done`);

    const fields = await fieldsOf(visit);
    // Name, birth date and number: each encrypted at rest, none of them readable in Redis.
    expect(fields.bankId).to.match(/^f1\.t1\./);
    expect(fields.nationalId).to.match(/^f1\.t1\./);
    for (const clear of [TEST_PERSONS.ola.socialno, 'Ola Nordmann', '1970-01-01']) expect(JSON.stringify(fields)).not.to.include(clear);
    expect(readVisitorIdentity(server.services, org.org.id, fields)).to.deep.include({ name: 'Ola Nordmann', birthDate: '1970-01-01', hasNationalId: true });
    expect(readNationalId(server.services, org.org.id, fields)).to.equal(TEST_PERSONS.ola.socialno);
    const ttlAfter = await server.redis.client.pttl(keys.visitor(org.org.id, visit.visitorId));
    expect(ttlAfter, 'the record keeps the visitor’s TTL').to.be.within(ttlBefore - 5_000, ttlBefore);
    expect(await loginRecords(), 'the login record is used up').to.deep.equal([]);
    for (const line of server.logs()) {
      expect(line).not.to.include(TEST_PERSONS.ola.socialno);
      expect(line).not.to.include('Ola Nordmann');
    }

    const socket = await visitorSocket(server, visit.visitorToken);
    const entered = await ask(socket, 'visit:enter', {});
    expect(entered.ok && entered.visit.state).to.equal('waiting');
    socket.disconnect();

    // The queue card: the name and birth date as the bank has them, and the national id (this organization collects it).
    const auth = await login(server, org.professional.email, org.professional.password);
    const pro = await professionalSocket(server, auth.cookie);
    const list = await ask(pro, 'queue:list', {});
    const card = (list.ok ? list.visitors : []).find((v) => v.visitorId === visit.visitorId);
    // The number itself only on request (see national-id-need-to-know.test.ts).
    expect(card?.identity).to.deep.include({ name: 'Ola Nordmann', birthDate: '1970-01-01', hasNationalId: true }).and.not.have.property('nationalId');
    pro.disconnect();
  });

  it('an organization that does not collect the national id does not ask for it, and stores none', async () => {
    const other = await createOrganization(server.services);
    await server.services.organizations.setCheckIn(other.org.id, other.room.id, { ...DEFAULT_CHECK_IN, bankId: true });
    await setUpBankId(server, await adminOf(server, other.org.id), broker, { collectNationalId: false });
    const visit = await checkIn(other, 'Kari Nordmann');
    const authorizationUrl = await start(visit);
    expect(new URL(authorizationUrl).searchParams.get('scope')!.split(' ')).to.have.members(['openid', 'profile']);
    expect(await callback(visit, await passBroker(visit.jar, authorizationUrl, TEST_PERSONS.kari))).to.equal(`${roomPage(visit)}#bankid=done`);
    const fields = await fieldsOf(visit);
    expect(fields.nationalId).to.equal(undefined);
    expect(readVisitorIdentity(server.services, other.org.id, fields)).to.deep.include({ name: 'Kari Nordmann', birthDate: '1985-05-17' }).and.not.have.property('hasNationalId');
  });

  it('a scheduled consultation’s visitor goes back to their private link', async () => {
    const schedule = () => server.services.consultations.create({ orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null }, 86_400_000);
    const consultation = await schedule();
    const res = await postJson(server, '/api/visits', { consultation: consultation.token, answers: { name: 'Ola Nordmann' } });
    expect(res.status).to.equal(201);
    const visit: Visit = { ...((await res.json()) as VisitResponse), org, jar: new CookieJar() };
    const other = await schedule();
    expect((await startRequest(visit, { returnTo: consultationPagePath(other.token) })).status, 'another consultation’s link').to.equal(400);
    expect((await startRequest(visit, { returnTo: `/c/${consultation.token}` })).status, 'the link with its secret: no secret goes in an address').to.equal(400);
    const authorizationUrl = await start(visit, consultationPagePath(consultation.token));
    expect(await callback(visit, await passBroker(visit.jar, authorizationUrl, TEST_PERSONS.ola))).to.equal(`${server.origin}${consultationPagePath(consultation.token)}#bankid=done`);
  });

  it('cancelling at the broker brings the visitor back with #bankid=cancelled and stores nothing', async () => {
    const visit = await checkIn();
    const before = await fieldsOf(visit);
    const back = await passBroker(visit.jar, await start(visit), 'cancel');
    expect(new URL(back).searchParams.get('error')).to.equal('access_denied');
    expect(await callback(visit, back)).to.equal(`${roomPage(visit)}#bankid=cancelled`);
    expect(await fieldsOf(visit)).to.deep.equal(before);
  });

  const defects: [Misbehaviour, string][] = [
    ['expired', 'an expired id token'],
    ['foreign-key', 'an id token signed with a key not in the broker’s JWKS'],
    ['wrong-issuer', 'an id token from another issuer'],
    ['wrong-audience', 'an id token for another client'],
    ['wrong-nonce', 'an id token with another nonce'],
  ];
  for (const [mode, what] of defects) {
    it(`refuses ${what}: #bankid=failed, nothing stored, no session`, async () => {
      const visit = await checkIn();
      const before = await fieldsOf(visit);
      const back = await passBroker(visit.jar, await start(visit), TEST_PERSONS.ola);
      broker.misbehave(mode);
      const issued = broker.tokensIssued();
      const res = await visit.jar.get(back);
      expect(res.status).to.equal(303);
      expect(res.headers.get('location')).to.equal(`${roomPage(visit)}#bankid=failed`);
      expect(broker.tokensIssued(), 'the broker did answer; the refusal is ours').to.equal(issued + 1);
      expect(res.headers.getSetCookie().filter((c) => c.startsWith('consult_sid=')), 'no session').to.deep.equal([]);
      expect(await fieldsOf(visit)).to.deep.equal(before);
      const socket = await visitorSocket(server, visit.visitorToken);
      const entered = await ask(socket, 'visit:enter', {});
      expect(entered.ok === false && entered.error.code).to.equal('check_in_incomplete');
      socket.disconnect();
    });
  }

  it('refuses a too low level of assurance (acr) where the organization requires BankID high', async () => {
    const strict = await createOrganization(server.services);
    await server.services.organizations.setCheckIn(strict.org.id, strict.room.id, { ...DEFAULT_CHECK_IN, bankId: true });
    await setUpBankId(server, await adminOf(server, strict.org.id), broker, { acrValues: [ACR.high] });
    const visit = await checkIn(strict);
    const before = await fieldsOf(visit);
    // Ola's BankID login is "substantial".
    expect(await callback(visit, await passBroker(visit.jar, await start(visit), TEST_PERSONS.ola))).to.equal(`${roomPage(visit)}#bankid=failed`);
    expect(await fieldsOf(visit)).to.deep.equal(before);
    // Kari's is "high" (a new browser: no session at the broker as Ola).
    visit.jar = new CookieJar();
    expect(await callback(visit, await passBroker(visit.jar, await start(visit), TEST_PERSONS.kari))).to.equal(`${roomPage(visit)}#bankid=done`);
  });

  it('refuses a wrong state (nothing stored), and the genuine answer still works afterwards', async () => {
    const visit = await checkIn();
    const before = await fieldsOf(visit);
    const back = new URL(await passBroker(visit.jar, await start(visit), TEST_PERSONS.ola));
    const forged = new URL(back);
    forged.searchParams.set('state', 'A'.repeat(43));
    expect(await callback(visit, forged.toString())).to.equal('status 400');
    const malformed = new URL(back);
    malformed.searchParams.set('state', 'not a state');
    expect(await callback(visit, malformed.toString())).to.equal('status 400');
    expect(await callback(visit, `${server.url}/api/bankid/callback`)).to.equal('status 400');
    expect(await fieldsOf(visit)).to.deep.equal(before);
    expect(await callback(visit, back.toString())).to.equal(`${roomPage(visit)}#bankid=done`);
  });

  it('refuses a replayed answer, and a used code brought back with another login’s state: nothing stored on the other visitor', async () => {
    const first = await checkIn();
    const back = await passBroker(first.jar, await start(first), TEST_PERSONS.ola);
    expect(await callback(first, back)).to.equal(`${roomPage(first)}#bankid=done`);
    const afterFirst = await fieldsOf(first);
    expect(await callback(first, back), 'the same answer again').to.equal('status 400');
    expect(await fieldsOf(first)).to.deep.equal(afterFirst);

    const second = await checkIn(org, 'Kari Nordmann');
    const before = await fieldsOf(second);
    const secondState = new URL(await start(second)).searchParams.get('state')!;
    const replay = new URL(back);
    replay.searchParams.set('state', secondState);
    expect(await callback(second, replay.toString())).to.equal(`${roomPage(second)}#bankid=failed`);
    expect(await fieldsOf(second)).to.deep.equal(before);
  });

  it('refuses an answer opened in another browser than the one that started (no flow cookie): nothing stored', async () => {
    const visit = await checkIn();
    const before = await fieldsOf(visit);
    const back = await passBroker(visit.jar, await start(visit), TEST_PERSONS.ola);
    const elsewhere = new CookieJar();
    const res = await elsewhere.get(back);
    expect(res.headers.get('location')).to.equal(`${roomPage(visit)}#bankid=failed`);
    expect(await fieldsOf(visit)).to.deep.equal(before);
  });

  it('a visitor who left while at the broker gets nothing stored', async () => {
    const visit = await checkIn();
    const back = await passBroker(visit.jar, await start(visit), TEST_PERSONS.ola);
    const socket = await visitorSocket(server, visit.visitorToken);
    expect((await ask(socket, 'visit:leave', {})).ok).to.equal(true);
    socket.disconnect();
    const before = await fieldsOf(visit);
    expect(await callback(visit, back)).to.equal(`${roomPage(visit)}#bankid=failed`);
    expect(await fieldsOf(visit)).to.deep.equal(before);
    expect(before.bankId).to.equal(undefined);
  });

  it('bad starts are refused and leave no login record: no or a forged token, malformed bodies, other links, visitors not checking in, rooms without BankID, other organizations', async () => {
    const visit = await checkIn();
    const good = { returnTo: `/r/${org.room.slug}` };
    const cases: [string, Promise<Response>, number][] = [
      ['no token', postJson(server, '/api/bankid/visitor/start', good), 404],
      ['a forged token', startRequest({ visitorToken: `${org.org.id}.${visit.visitorId}.${'A'.repeat(43)}` }, good), 404],
      ['a malformed body', startRequest(visit, { returnTo: 42 }), 400],
      ['an extra field', startRequest(visit, { ...good, nationalId: '01017012345' }), 400],
      ['another site', startRequest(visit, { returnTo: 'https://evil.example/r/x' }), 400],
      ['a protocol-relative address', startRequest(visit, { returnTo: '//evil.example/r/x' }), 400],
      ['the dashboard', startRequest(visit, { returnTo: '/dashboard/' }), 400],
      ['a path with a fragment', startRequest(visit, { returnTo: `/r/${org.room.slug}#x` }), 400],
      ['another room', startRequest(visit, { returnTo: '/r/some-other-room' }), 400],
      ['no body', startRequest(visit, undefined), 400],
    ];
    for (const [what, response, status] of cases) {
      const res = await response;
      expect(res.status, what).to.equal(status);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code, what).to.equal(status === 404 ? 'not_found' : 'bad_request');
    }
    const malformedJson = await fetch(`${server.url}/api/bankid/visitor/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.origin, authorization: `Bearer ${visit.visitorToken}` },
      body: '{"returnTo":',
    });
    expect(malformedJson.status).to.equal(400);

    // Already waiting (a room without BankID), in another organization's room without BankID, or left.
    const plain = await createOrganization(server.services);
    const waiting = await checkIn(plain, 'Per Hansen');
    expect(waiting.steps).to.deep.equal([]);
    expect((await startRequest(waiting, { returnTo: `/r/${plain.room.slug}` })).status, 'a visitor already waiting').to.equal(404);
    const left = await checkIn();
    const socket = await visitorSocket(server, left.visitorToken);
    await ask(socket, 'visit:leave', {});
    socket.disconnect();
    expect((await startRequest(left, good)).status, 'a visitor who left').to.equal(404);
    // The right room's link, but another organization's visitor.
    expect((await startRequest(waiting, good)).status, 'another organization’s visitor').to.equal(404);
    expect(await loginRecords()).to.deep.equal([]);
  });

  it('a room that asks for BankID in an organization without a broker says so (503 bankid_unavailable)', async () => {
    const bare = await createOrganization(server.services);
    await server.services.organizations.setCheckIn(bare.org.id, bare.room.id, { ...DEFAULT_CHECK_IN, bankId: true });
    const visit = await checkIn(bare);
    const res = await startRequest(visit, { returnTo: `/r/${bare.room.slug}` });
    expect(res.status).to.equal(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('bankid_unavailable');
  });
});
