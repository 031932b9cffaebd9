import { expect } from 'chai';
import type { AdminRoom, InvitationCreated, Me, OrganizationOverview, PasswordReset } from '../../protocol/index.ts';
import {
  addMember,
  ask,
  cookiePairOf,
  createOrganization,
  joinWaitingRoom,
  login,
  postJson,
  professionalSocket,
  recordEvents,
  roundTrip,
  startTestServer,
  type TestMember,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { allKeysWithTtl } from '../test-support/redis-keys.ts';
import { eventually } from '../test-support/eventually.ts';

interface Auth {
  cookie: string;
  csrfToken: string;
}

/*
 * An organization managed by its admins through the HTTP API, against the real server and Redis:
 * invitations, removing members (disconnected at once), password resets, and shared rooms whose members
 * start and stop hearing of their visitors as the admin chooses. To anyone but an admin, none of it exists.
 */
describe('organization admin: members, invitations, rooms (real server, Redis)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let org: TestOrganization;
  let admin: TestMember;
  let adminAuth: Auth;
  let proAuth: Auth;

  async function api(method: string, path: string, auth: Auth | null, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        origin: server.origin,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(auth ? { cookie: auth.cookie, 'x-csrf-token': auth.csrfToken } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  const tokenOf = (url: string) => new URL(url).hash.replace('#invitation=', '');

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services, { name: 'Fjord Clinic' });
    admin = await addMember(server.services, org.org.id, { name: 'Anne Admin', role: 'admin' });
    adminAuth = await login(server, admin.email, admin.password);
    proAuth = await login(server, org.professional.email, org.professional.password);
  });
  after(async () => {
    await server?.close();
  });

  it('to a professional who is not an admin, every admin route says it is for admins (403) and changes nothing', async () => {
    const before = await api('GET', '/api/admin/organization', adminAuth);
    const attempts: [string, string, unknown?][] = [
      ['GET', '/api/admin/organization'],
      ['POST', '/api/admin/invitations', { name: 'Mallory', email: 'mallory@example.com', role: 'admin' }],
      ['DELETE', `/api/admin/members/${admin.id}`],
      ['POST', `/api/admin/members/${admin.id}/reset-password`, {}],
      ['POST', '/api/admin/rooms', { name: 'Backdoor', members: [org.professional.id] }],
      ['PATCH', `/api/admin/rooms/${org.room.id}`, { name: 'Renamed' }],
      ['DELETE', `/api/admin/rooms/${org.room.id}`],
      ['PATCH', '/api/admin/organization', { visitorScreenShare: true }],
    ];
    for (const [method, path, body] of attempts) {
      const res = await api(method, path, proAuth, body);
      expect([res.status, res.body?.error?.code], `${method} ${path}`).to.deep.equal([403, 'forbidden']);
    }
    expect(await api('GET', '/api/admin/organization', adminAuth)).to.deep.equal(before);
    expect((await api('GET', '/api/admin/organization', null)).status, 'not logged in').to.equal(401);
  });

  it('organization settings: visitors’ screen sharing, the quick replies and the time zone; bad ones are refused and change nothing', async () => {
    const before = (await api('GET', '/api/admin/organization', adminAuth)).body.settings;
    expect(before).to.deep.equal({
      visitorScreenShare: false,
      quickReplies: ['I’m running about 10 minutes late.', 'I’ll be with you shortly.'],
      bookkeepingYears: 5,
      retentionDays: 90,
      privacyContact: null,
      timeZone: 'Europe/Oslo',
      reminderMinutes: [1440, 60],
    });
    const bad: unknown[] = [
      { visitorScreenShare: 'yes' },
      { quickReplies: ['fine', 'with a bell\u0007'] },
      { quickReplies: ['x'.repeat(201)] },
      { quickReplies: Array.from({ length: 11 }, (_, i) => `reply ${i}`) },
      { quickReplies: ['   '] },
      { retentionDays: 0 },
      { timeZone: 'Mars/Olympus_Mons' },
      { timeZone: '+01:00' },
      { timeZone: '' },
      { timeZone: 60 },
    ];
    for (const body of bad) {
      const res = await api('PATCH', '/api/admin/organization', adminAuth, body);
      expect([res.status, res.body?.error?.code], JSON.stringify(body)).to.deep.equal([400, 'bad_request']);
    }
    expect((await api('GET', '/api/admin/organization', adminAuth)).body.settings).to.deep.equal(before);
    expect((await api('PATCH', '/api/admin/organization', adminAuth, { visitorScreenShare: true, quickReplies: ['  Ti minutter forsinket.  ', 'Straks der.'] })).status).to.equal(200);
    expect((await api('GET', '/api/admin/organization', adminAuth)).body.settings).to.deep.equal({
      visitorScreenShare: true,
      quickReplies: ['Ti minutter forsinket.', 'Straks der.'],
      bookkeepingYears: 5,
      retentionDays: 90,
      privacyContact: null,
      timeZone: 'Europe/Oslo',
      reminderMinutes: [1440, 60],
    });
    expect((await api('PATCH', '/api/admin/organization', adminAuth, { timeZone: 'America/New_York' })).status).to.equal(200);
    expect((await api('GET', '/api/admin/organization', adminAuth)).body.settings.timeZone).to.equal('America/New_York');
    expect((await api('GET', '/api/auth/me', adminAuth)).body.organization.timeZone, 'the dashboard is told').to.equal('America/New_York');
    expect((await api('PATCH', '/api/admin/organization', adminAuth, { visitorScreenShare: false, quickReplies: before.quickReplies, timeZone: 'Europe/Oslo' })).status).to.equal(200);
  });

  it('an invitation link is single use, lasts 72 hours, keeps its secret out of server logs, and makes a member with a personal room', async () => {
    const invited = await api('POST', '/api/admin/invitations', adminAuth, { name: 'Dr. Lie', email: 'Lie@Example.com', role: 'professional' });
    expect(invited.status).to.equal(201);
    const created = invited.body as InvitationCreated;
    expect(created.invitationUrl).to.match(new RegExp(`^${server.origin}/dashboard/#invitation=[0-9a-f]{32}\\.[A-Za-z0-9_-]{43}$`));
    expect(created.expiresAt - Date.now()).to.be.within(72 * 3600_000 - 60_000, 72 * 3600_000);
    const token = tokenOf(created.invitationUrl);
    const ttls = [...(await allKeysWithTtl(server.redis.client))].filter(([k]) => k.includes(':invitation:'));
    expect(ttls).to.have.length(1);
    expect(ttls[0]![1]).to.be.within(1, 72 * 3600_000);
    expect(JSON.stringify(ttls)).to.not.include(token.split('.')[1]);

    expect((await api('POST', '/api/invitations/lookup', null, { token })).body).to.deep.equal({ organizationName: 'Fjord Clinic', name: 'Dr. Lie', email: 'lie@example.com' });
    expect((await api('GET', `/api/invitations/${token}`, null)).status, 'never in an address').to.equal(404);
    expect(created.code).to.match(/^\d{8}$/);
    const short = await api('POST', '/api/invitations/accept', null, { token, code: created.code, password: 'short' });
    expect([short.status, short.body.error.code]).to.deep.equal([400, 'bad_request']);
    const withoutCode = await api('POST', '/api/invitations/accept', null, { token, password: 'a long enough password' });
    expect([withoutCode.status, withoutCode.body.error.code], 'the link alone is not enough').to.deep.equal([400, 'bad_request']);
    const res = await postJson(server, '/api/invitations/accept', { token, code: ` ${created.code.slice(0, 4)} ${created.code.slice(4)} `, password: 'a long enough password' });
    expect(res.status).to.equal(201);
    const me = (await res.json()) as Me;
    expect(me.professional).to.deep.include({ name: 'Dr. Lie', email: 'lie@example.com', role: 'professional' });
    // Logged in, with the second factor to set up before anything else.
    expect(me.pending).to.equal('second-factor-setup');
    const cookie = cookiePairOf(res)!;
    expect((await api('GET', '/api/auth/me', { cookie, csrfToken: me.csrfToken })).status, 'logged in').to.equal(200);
    expect((await api('GET', '/api/history', { cookie, csrfToken: me.csrfToken })).body.error.code).to.equal('second_factor_required');
    // Used once.
    expect((await api('POST', '/api/invitations/accept', null, { token, code: created.code, password: 'another long password' })).status).to.equal(404);
    expect((await api('POST', '/api/invitations/lookup', null, { token })).status).to.equal(404);
    // The new member has a personal room with a readable link, and can log in.
    const overview = (await api('GET', '/api/admin/organization', adminAuth)).body as OrganizationOverview;
    const lie = overview.members.find((m) => m.email === 'lie@example.com')!;
    const room = overview.rooms.find((r) => r.kind === 'personal' && r.members.includes(lie.id))!;
    expect(room.slug).to.match(/^dr-lie/);
    expect((await login(server, 'lie@example.com', 'a long enough password')).csrfToken).to.be.a('string');
    // An address already in use cannot be invited again.
    const again = await api('POST', '/api/admin/invitations', adminAuth, { name: 'Dr. Lie', email: 'lie@example.com', role: 'admin' });
    expect([again.status, again.body.error.code]).to.deep.equal([409, 'email_taken']);
    expect(server.logs().join('\n')).to.not.include(token.split('.')[1]);
    expect(server.logs().join('\n')).to.not.include(created.code);
  });

  it('an intercepted invitation link is not enough: five wrong codes, even sent all at once, use the invitation up', async () => {
    const invite = async (name: string, email: string) => {
      const res = await api('POST', '/api/admin/invitations', adminAuth, { name, email, role: 'admin' });
      expect(res.status).to.equal(201);
      const created = res.body as InvitationCreated;
      return { token: tokenOf(created.invitationUrl), code: created.code };
    };
    const wrongFor = (code: string) => String((Number(code) + 1) % 100_000_000).padStart(8, '0');
    const accept = (token: string, code: string) => api('POST', '/api/invitations/accept', null, { token, code, password: 'an attacker chose this' });

    // One at a time: four wrong codes are told how many tries are left, the right one still works.
    const patient = await invite('Dr. Holm', 'holm@example.com');
    for (let i = 0; i < 4; i++) {
      const wrong = await accept(patient.token, wrongFor(patient.code));
      expect([wrong.status, wrong.body.error.code]).to.deep.equal([401, 'invalid_code']);
      expect(wrong.body.error.message).to.include(`${4 - i} ${4 - i === 1 ? 'try' : 'tries'} left`);
      expect(wrong.body.error.details, 'the count, for the form to say in its language').to.deep.equal({ triesLeft: 4 - i });
    }
    expect((await accept(patient.token, patient.code)).status, 'the right code after four wrong ones').to.equal(201);

    // Ten wrong guesses at once: five count, and the invitation is gone; the right code comes too late.
    const guessed = await invite('Mallory Admin', 'mallory@example.com');
    const guesses = await Promise.all(Array.from({ length: 10 }, (_, i) => accept(guessed.token, String((Number(guessed.code) + 1 + i) % 100_000_000).padStart(8, '0'))));
    expect(guesses.filter((g) => g.status === 401), 'wrong codes answered as such').to.have.length(4);
    expect(guesses.filter((g) => g.status === 404), 'the fifth wrong one uses it up').to.have.length(6);
    expect((await accept(guessed.token, guessed.code)).status, 'the right code, afterwards').to.equal(404);
    const overview = (await api('GET', '/api/admin/organization', adminAuth)).body as OrganizationOverview;
    expect(overview.members.map((m) => m.email)).to.not.include('mallory@example.com');
    expect([...(await allKeysWithTtl(server.redis.client)).keys()].filter((k) => /\}:invitation:/.test(k)), 'nothing of it is left').to.deep.equal([]);
  });

  it('a removed member is disconnected at once, cannot act or log in, and their room link stops working', async () => {
    const gone = await addMember(server.services, org.org.id, { name: 'Dr. Gone' });
    const auth = await login(server, gone.email, gone.password);
    const socket = await professionalSocket(server, auth.cookie);
    const events = recordEvents(socket);
    expect((await api('DELETE', `/api/admin/members/${gone.id}`, adminAuth)).status).to.equal(204);
    await events.waitFor('session:ended');
    await eventually(() => !socket.connected, { what: "the removed member's socket closed" });
    expect(socket.connected, 'socket closed').to.equal(false);
    expect((await api('GET', '/api/auth/me', auth)).status).to.equal(401);
    expect((await postJson(server, '/api/auth/login', { email: gone.email, password: gone.password })).status).to.equal(401);
    expect((await fetch(`${server.url}/api/rooms/${gone.room.slug}`)).status, 'their room link').to.equal(404);
    expect((await api('DELETE', `/api/admin/members/${gone.id}`, adminAuth)).status, 'removed twice').to.equal(404);
    expect((await api('DELETE', `/api/admin/members/${admin.id}`, adminAuth)).body.error.code, 'oneself').to.equal('bad_request');
    // Another organization's member is as unknown as a made-up id.
    const other = await createOrganization(server.services);
    expect((await api('DELETE', `/api/admin/members/${other.professional.id}`, adminAuth)).status).to.equal(404);
    expect(await server.services.organizations.getProfessional(other.org.id, other.professional.id)).to.not.equal(null);
  });

  it('after a password reset the member must choose a new one before anything else', async () => {
    const member = await addMember(server.services, org.org.id, { name: 'Dr. Reset' });
    const oldAuth = await login(server, member.email, member.password);
    const reset = await api('POST', `/api/admin/members/${member.id}/reset-password`, adminAuth, {});
    const { temporaryPassword } = reset.body as PasswordReset;
    expect(temporaryPassword).to.have.length.at.least(16);
    expect((await api('GET', '/api/auth/me', oldAuth)).status, 'sessions ended').to.equal(401);
    expect((await postJson(server, '/api/auth/login', { email: member.email, password: member.password })).status, 'old password').to.equal(401);

    const temp = await login(server, member.email, temporaryPassword);
    expect(temp.pending, 'after the second factor').to.equal('password-change');
    expect((await api('GET', '/api/auth/me', temp)).body.pending).to.equal('password-change');
    expect((await api('GET', '/api/history', temp)).body.error.code).to.equal('password_change_required');
    const refused = await professionalSocket(server, temp.cookie).then(
      () => 'connected',
      (err: Error) => err.message,
    );
    expect(refused, 'no socket before a new password').to.equal('unauthorized');
    const same = await api('POST', '/api/auth/password', temp, { currentPassword: temporaryPassword, newPassword: temporaryPassword });
    expect(same.status).to.equal(400);
    const changed = await api('POST', '/api/auth/password', temp, { currentPassword: temporaryPassword, newPassword: 'my very own password' });
    expect(changed.body.pending).to.equal(null);
    expect((await api('GET', '/api/history', temp)).status).to.equal(200);
    expect((await login(server, member.email, 'my very own password')).csrfToken).to.be.a('string');
  });

  it("shared rooms: the chosen members start and stop hearing of their visitors as the admin changes them; a room with people waiting is not deleted", async () => {
    const berg = await addMember(server.services, org.org.id, { name: 'Dr. Berg' });
    const hansen = await professionalSocket(server, proAuth.cookie);
    const bergSocket = await professionalSocket(server, (await login(server, berg.email, berg.password)).cookie);
    const heardByHansen = recordEvents(hansen);
    const heardByBerg = recordEvents(bergSocket);

    const created = await api('POST', '/api/admin/rooms', adminAuth, { name: 'Clinic Reception', members: [org.professional.id] });
    expect(created.status).to.equal(201);
    const room = created.body as AdminRoom;
    expect(room).to.deep.include({ name: 'Clinic Reception', slug: 'clinic-reception', kind: 'shared', members: [org.professional.id] });
    await heardByHansen.waitFor('queue:rooms-changed');

    const ola = await joinWaitingRoom(server, room.slug, 'Ola Nordmann');
    await heardByHansen.waitFor('queue:arrived', (v: { visitorId: string }) => v.visitorId === ola.visitorId);
    await roundTrip(bergSocket);
    expect(heardByBerg.events.some((e) => e.event === 'queue:arrived'), 'Dr. Berg is not a member yet').to.equal(false);
    expect((await ask(bergSocket, 'queue:admit', { visitorId: ola.visitorId })).ok).to.equal(false);

    const moved = await api('PATCH', `/api/admin/rooms/${room.roomId}`, adminAuth, { name: 'Reception', members: [berg.id] });
    expect(moved.body).to.deep.include({ name: 'Reception', slug: 'clinic-reception', members: [berg.id] });
    await heardByBerg.waitFor('queue:rooms-changed');
    const list = await ask(bergSocket, 'queue:list', {});
    expect(list.ok && list.visitors.map((v) => v.visitorId)).to.deep.equal([ola.visitorId]);
    const hansenList = await ask(hansen, 'queue:list', {});
    expect(hansenList.ok && hansenList.visitors.map((v) => v.visitorId), 'no longer Dr. Test’s').to.not.include(ola.visitorId);

    const deleting = await api('DELETE', `/api/admin/rooms/${room.roomId}`, adminAuth);
    expect([deleting.status, deleting.body.error.code]).to.deep.equal([409, 'room_not_empty']);
    expect((await ask(bergSocket, 'queue:admit', { visitorId: ola.visitorId })).ok, 'Dr. Berg admits').to.equal(true);
    expect((await api('DELETE', `/api/admin/rooms/${room.roomId}`, adminAuth)).status).to.equal(204);
    expect((await fetch(`${server.url}/api/rooms/${room.slug}`)).status, 'a deleted room’s link').to.equal(404);

    const bad = await api('POST', '/api/admin/rooms', adminAuth, { name: 'Elsewhere', members: [(await createOrganization(server.services)).professional.id] });
    expect([bad.status, bad.body.error.code], 'a member of another organization').to.deep.equal([400, 'bad_request']);
    const personal = await api('PATCH', `/api/admin/rooms/${org.room.id}`, adminAuth, { members: [berg.id] });
    expect(personal.status, 'members of a personal room').to.equal(400);
    hansen.disconnect();
    bergSocket.disconnect();
  });
});
