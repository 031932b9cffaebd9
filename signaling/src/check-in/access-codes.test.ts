import { expect } from 'chai';
import { DEFAULT_CHECK_IN, type AccessCodeCreated } from '../../protocol/index.ts';
import { ask, createOrganization, login, postJson, professionalSocket, startTestServer, type TestOrganization, type TestServer } from '../test-support/test-server.ts';
import { scanKeys } from '../test-support/redis-keys.ts';
import { eventually } from '../test-support/eventually.ts';

/*
 * Pseudonymous rooms: a visitor checks in with an access code a professional made for them, and no name;
 * the queue card shows the code's label. A code works once, in its room, until it expires; anything else is
 * refused with access_code_invalid and creates nothing.
 */
describe('access codes for pseudonymous rooms (real server, Redis)', function () {
  let server: TestServer;
  let org: TestOrganization;
  let auth: { cookie: string; csrfToken: string };
  const makeCode = (body: unknown, as = auth) =>
    fetch(`${server.url}/api/access-codes`, {
      method: 'POST',
      headers: { origin: server.origin, 'content-type': 'application/json', cookie: as.cookie, 'x-csrf-token': as.csrfToken },
      body: JSON.stringify(body),
    });
  const checkIn = async (answers: unknown, slug = org.room.slug) => {
    const res = await postJson(server, '/api/visits', { roomSlug: slug, answers });
    return { status: res.status, body: (await res.json()) as { visitorId?: string; error?: { code: string; message: string } } };
  };

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services);
    auth = await login(server, org.professional.email, org.professional.password);
  });
  after(async () => {
    await server?.close();
  });

  it('a code made for a visitor lets them in once, with no name; the card shows its label', async () => {
    expect((await makeCode({ roomId: org.room.id, label: 'Case 4711', validHours: 24 })).status, 'a room that asks for names').to.equal(400);
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, { ...DEFAULT_CHECK_IN, pseudonymous: true });
    const res = await makeCode({ roomId: org.room.id, label: 'Case 4711', validHours: 24 });
    expect(res.status).to.equal(201);
    const { code, expiresAt } = (await res.json()) as AccessCodeCreated;
    expect(code).to.match(/^([A-Z2-9]{4}-){6}[A-Z2-9]{2}$/);
    expect(expiresAt - Date.now()).to.be.within(24 * 3_600_000 - 60_000, 24 * 3_600_000);
    const stored = await scanKeys(server.redis.client, `{org:${org.org.id}}:access-code:*`);
    expect(stored, 'kept by its hash only').to.have.length(1);
    expect(stored[0]).to.not.include(code.replace(/-/g, ''));

    // A name is not asked, and not allowed.
    expect((await checkIn({ accessCode: code, name: 'Ola Nordmann' })).status).to.equal(400);
    const before = (await scanKeys(server.redis.client, '{org:*}:visitor:*')).length;
    // Typed in lower case with spaces: the same code.
    const first = await checkIn({ accessCode: code.toLowerCase().replace(/-/g, ' ') });
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    const pro = await professionalSocket(server, auth.cookie);
    const list = await ask(pro, 'queue:list', {});
    expect(list.ok && list.visitors.map((v) => v.name)).to.deep.equal(['Case 4711']);
    expect(list.ok && list.rooms.find((r) => r.roomId === org.room.id)?.pseudonymous).to.equal(true);

    // Once only; an unknown code and a malformed one look the same.
    for (const [what, answers] of [
      ['used again', { accessCode: code }],
      ['unknown', { accessCode: 'A'.repeat(26) }],
      ['malformed', { accessCode: 'not-a-code' }],
    ] as const) {
      const again = await checkIn(answers);
      expect([again.status, again.body.error?.message], what).to.deep.equal([400, 'accessCode: access_code_invalid']);
    }
    expect((await checkIn({})).body.error?.message, 'missing').to.equal('accessCode: required');
    expect((await scanKeys(server.redis.client, '{org:*}:visitor:*')).length, 'only the first made a visitor').to.equal(before + 1);
    pro.disconnect();
  });

  it('a code works only in its own room and only until it expires; only a professional of the room may make one', async () => {
    const other = await createOrganization(server.services, { name: 'Other Clinic' });
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, { ...DEFAULT_CHECK_IN, pseudonymous: true });
    await server.services.organizations.setCheckIn(other.org.id, other.room.id, { ...DEFAULT_CHECK_IN, pseudonymous: true });
    const { code } = (await (await makeCode({ roomId: org.room.id, label: 'Case 1', validHours: 1 })).json()) as AccessCodeCreated;
    const elsewhere = await checkIn({ accessCode: code }, other.room.slug);
    expect(elsewhere.body.error?.code, 'another room').to.equal('access_code_invalid');
    const otherAuth = await login(server, other.professional.email, other.professional.password);
    expect((await makeCode({ roomId: org.room.id, label: 'x', validHours: 1 }, otherAuth)).status, 'another organization').to.equal(404);
    for (const body of [{ roomId: org.room.id, label: 'x', validHours: 0 }, { roomId: org.room.id, label: 'x', validHours: 721 }, { roomId: org.room.id, label: 'bell\u0007', validHours: 1 }]) {
      expect((await makeCode(body)).status, JSON.stringify(body)).to.equal(400);
    }
    // Its time passes (as its TTL would do): refused like any unknown code.
    for (const key of await scanKeys(server.redis.client, `{org:${org.org.id}}:access-code:*`)) await server.redis.client.pexpire(key, 1);
    await eventually(async () => (await scanKeys(server.redis.client, `{org:${org.org.id}}:access-code:*`)).length === 0, { what: 'the access codes expired' });
    expect((await checkIn({ accessCode: code })).body.error?.code, 'expired').to.equal('access_code_invalid');
  });
});
