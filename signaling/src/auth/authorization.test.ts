import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { CallJoined, TransportInfo } from '../../protocol/index.ts';
import { hashPassword } from './passwords.ts';
import {
  ask,
  askRaw,
  cookiePairOf,
  createOrganization,
  deviceRtpCapabilities,
  disconnected,
  joinWaitingRoom,
  login,
  postJson,
  professionalSocket,
  recordEvents,
  refusedConnection,
  roundTrip,
  startTestServer,
  visitorSocket,
  type ProfessionalClient,
  type TestOrganization,
  type TestServer,
  type VisitorClient,
  testPublicKey,
} from '../test-support/test-server.ts';

/*
 * Who may do what, against a real server, Redis and mediasoup: login and sessions over HTTP, who may open
 * which socket, and which socket may act on which visitor and call.
 */

const hexId = () => randomBytes(16).toString('hex');

async function jsonOf(res: Response): Promise<unknown> {
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

function expectError(ack: unknown, code: string, label = '') {
  expect(ack, label).to.be.an('object');
  const a = ack as { ok: boolean; error?: { code: string; message: string } };
  expect(a.ok, `${label} ${JSON.stringify(ack)}`).to.equal(false);
  expect(a.error?.code, `${label} ${JSON.stringify(ack)}`).to.equal(code);
}

function expectOk<T extends object>(ack: T, label = ''): asserts ack is Extract<T, { ok: true }> {
  expect((ack as { ok?: boolean }).ok, `${label} ${JSON.stringify(ack)}`).to.equal(true);
}

describe('authentication: login, sessions and logout over HTTP (real server)', function () {
  const ACCOUNT_LIMIT = 3;
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      env: { LOGIN_LIMIT_PER_ACCOUNT: String(ACCOUNT_LIMIT), LOGIN_LIMIT_PER_ADDRESS: '1000' },
    });
  });
  after(async () => {
    await server?.close();
  });

  it('a wrong password and an unknown e-mail get the same 401 invalid_credentials body, and no cookie', async () => {
    const org = await createOrganization(server.services);
    const wrong = await postJson(server, '/api/auth/login', { email: org.professional.email, password: 'not-the-password' });
    const unknown = await postJson(server, '/api/auth/login', { email: `nobody-${hexId()}@example.com`, password: 'whatever' });
    expect(wrong.status).to.equal(401);
    expect(unknown.status).to.equal(401);
    expect(cookiePairOf(wrong)).to.equal(null);
    expect(cookiePairOf(unknown)).to.equal(null);
    const wrongBody = (await jsonOf(wrong)) as { error: { code: string } };
    expect(wrongBody.error.code).to.equal('invalid_credentials');
    expect(await jsonOf(unknown)).to.deep.equal(wrongBody);
  });

  it('limits login attempts per account: 429 rate_limited, even with the right password or another spelling', async () => {
    const org = await createOrganization(server.services);
    for (let i = 0; i < ACCOUNT_LIMIT; i++) {
      const res = await postJson(server, '/api/auth/login', { email: org.professional.email, password: `wrong-${i}` });
      expect(res.status, `attempt ${i + 1}`).to.equal(401);
      await res.body?.cancel();
    }
    for (const email of [org.professional.email, org.professional.email.toUpperCase(), ` ${org.professional.email} `]) {
      const res = await postJson(server, '/api/auth/login', { email, password: org.professional.password });
      expect(res.status, email).to.equal(429);
      expect(((await jsonOf(res)) as { error: { code: string } }).error.code).to.equal('rate_limited');
      expect(cookiePairOf(res)).to.equal(null);
    }
    // Another account from the same address is not affected.
    const other = await createOrganization(server.services);
    await login(server, other.professional.email, other.professional.password);
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, Path=/, without Secure on http, and a new session id at every login', async () => {
    const org = await createOrganization(server.services);
    const res = await postJson(server, '/api/auth/login', { email: org.professional.email, password: org.professional.password });
    expect(res.status).to.equal(200);
    const setCookies = res.headers.getSetCookie();
    expect(setCookies).to.have.length(1);
    const attributes = setCookies[0]!.split(';').map((s) => s.trim());
    expect(attributes[0]).to.match(/^consult_sid=[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    const flags = attributes.slice(1).map((a) => a.toLowerCase());
    expect(flags).to.include('httponly');
    expect(flags).to.include('samesite=lax');
    expect(flags).to.include('path=/');
    expect(flags.some((f) => f === 'secure')).to.equal(false);
    expect(flags.some((f) => f.startsWith('domain='))).to.equal(false);
    await res.body?.cancel();

    const first = await login(server, org.professional.email, org.professional.password);
    const second = await login(server, org.professional.email, org.professional.password);
    expect(first.cookie).not.to.equal(attributes[0]);
    expect(second.cookie).not.to.equal(first.cookie);
    expect(second.csrfToken).not.to.equal(first.csrfToken);
  });

  it('/api/auth/me needs a live session cookie', async () => {
    const noCookie = await fetch(`${server.url}/api/auth/me`);
    expect(noCookie.status).to.equal(401);
    expect(((await jsonOf(noCookie)) as { error: { code: string } }).error.code).to.equal('unauthorized');
    const forged = await fetch(`${server.url}/api/auth/me`, { headers: { cookie: `consult_sid=${hexId()}.${'A'.repeat(43)}` } });
    expect(forged.status).to.equal(401);
    await forged.body?.cancel();

    const org = await createOrganization(server.services);
    const { cookie, csrfToken } = await login(server, org.professional.email, org.professional.password);
    const me = await fetch(`${server.url}/api/auth/me`, { headers: { cookie } });
    expect(me.status).to.equal(200);
    const body = (await jsonOf(me)) as { professional: { id: string; email: string }; organization: { id: string }; csrfToken: string };
    expect(body.professional).to.include({ id: org.professional.id, email: org.professional.email });
    expect(body.organization.id).to.equal(org.org.id);
    expect(body.csrfToken).to.equal(csrfToken);
  });

  it('logout needs the CSRF token; afterwards the cookie is dead and the open dashboard socket gets session:ended and is closed', async () => {
    const org = await createOrganization(server.services);
    const { cookie, csrfToken } = await login(server, org.professional.email, org.professional.password);
    const socket = await professionalSocket(server, cookie);
    const events = recordEvents(socket);
    expectOk(await ask(socket, 'queue:list', {}));

    const refusals: [string, Record<string, string>][] = [
      ['no CSRF token', { cookie, origin: server.origin }],
      ['a wrong CSRF token', { cookie, origin: server.origin, 'x-csrf-token': 'x'.repeat(43) }],
      ['the CSRF token cut short', { cookie, origin: server.origin, 'x-csrf-token': csrfToken.slice(0, -1) }],
      ['the CSRF token and more', { cookie, origin: server.origin, 'x-csrf-token': `${csrfToken}, ${csrfToken}` }],
      ['the CSRF token but no Origin', { cookie, 'x-csrf-token': csrfToken }],
      ['the CSRF token and a foreign Origin', { cookie, origin: 'http://evil.example', 'x-csrf-token': csrfToken }],
    ];
    for (const [what, headers] of refusals) {
      const res = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers });
      expect(res.status, what).to.equal(403);
      expect(((await jsonOf(res)) as { error: { code: string } }).error.code, what).to.equal('csrf_failed');
    }
    // Still logged in.
    expect((await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).status).to.equal(200);
    expect(socket.connected).to.equal(true);
    expect(events.names()).not.to.include('session:ended');

    const closing = disconnected(socket);
    const res = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie, origin: server.origin, 'x-csrf-token': csrfToken } });
    expect(res.status).to.equal(204);
    const cleared = res.headers.getSetCookie().find((c) => c.startsWith('consult_sid='));
    expect(cleared, 'the cookie is cleared').to.match(/^consult_sid=;/);

    await events.waitFor('session:ended');
    expect(await closing).to.equal('io server disconnect');
    for (const p of ['/api/auth/me', '/api/history']) {
      const after = await fetch(`${server.url}${p}`, { headers: { cookie } });
      expect(after.status, p).to.equal(401);
      await after.body?.cancel();
    }
    expect(await refusedConnection(professionalSocket(server, cookie))).to.equal('unauthorized');
  });
});

describe('who may open a socket (real server)', function () {
  let server: TestServer;
  let org: TestOrganization;
  let cookie: string;
  let visitorToken: string;

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services);
    ({ cookie } = await login(server, org.professional.email, org.professional.password));
    ({ visitorToken } = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann'));
  });
  after(async () => {
    await server?.close();
  });

  it('connects with good credentials and our Origin (the control for the refusals below)', async () => {
    (await visitorSocket(server, visitorToken)).disconnect();
    (await professionalSocket(server, cookie)).disconnect();
  });

  it('refuses /pro without a session cookie, or with a forged or malformed one', async () => {
    expect(await refusedConnection(professionalSocket(server, undefined))).to.equal('unauthorized');
    expect(await refusedConnection(professionalSocket(server, `consult_sid=${org.org.id}.${'A'.repeat(43)}`))).to.equal('unauthorized');
    expect(await refusedConnection(professionalSocket(server, 'consult_sid=garbage'))).to.equal('unauthorized');
    // The right value under another cookie name.
    expect(await refusedConnection(professionalSocket(server, cookie.replace('consult_sid=', 'other=')))).to.equal('unauthorized');
  });

  it('refuses a foreign Origin, or none, on both namespaces even with good credentials', async () => {
    for (const origin of ['http://evil.example', 'null', server.origin.replace(/:\d+$/, ':1'), '']) {
      await refusedConnection(visitorSocket(server, visitorToken, origin));
      await refusedConnection(professionalSocket(server, cookie, origin));
    }
  });

  it('refuses a visitor socket with a bad, forged or missing token', async () => {
    const [o, v, secret] = visitorToken.split('.') as [string, string, string];
    const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    for (const token of ['', 'garbage', `${o}.${v}.${flipped}`, `${o}.${hexId()}.${secret}`, `${hexId()}.${v}.${secret}`, `${visitorToken}x`]) {
      expect(await refusedConnection(visitorSocket(server, token)), token).to.equal('not_found');
    }
    expect(await refusedConnection(visitorSocket(server, undefined as unknown as string))).to.equal('not_found');
  });
});

describe('authorization of waiting-room and call events (real server, real mediasoup)', function () {
  let server: TestServer;
  let a: TestOrganization;
  let b: TestOrganization;
  let proA: ProfessionalClient;
  let proA2: ProfessionalClient;
  let proB: ProfessionalClient;
  let caps: Record<string, unknown>;

  async function checkIn(name: string, org = a): Promise<{ socket: VisitorClient; visitorId: string; visitorToken: string }> {
    const visit = await joinWaitingRoom(server, org.room.slug, name);
    return { ...visit, socket: await visitorSocket(server, visit.visitorToken) };
  }

  async function admit(visitorId: string, pro = proA): Promise<string> {
    const ack = await ask(pro, 'queue:admit', { visitorId });
    expectOk(ack, 'admit');
    return ack.callId;
  }

  function expectTransport(t: TransportInfo) {
    expect(t.id).to.match(/^[0-9a-f-]{36}$/);
    expect(t.iceParameters).to.have.property('usernameFragment').that.is.a('string');
    expect(t.iceCandidates.length).to.be.greaterThan(0);
    const { RTC_MIN_PORT, RTC_MAX_PORT } = server.services.config;
    for (const c of t.iceCandidates as { ip?: string; address?: string; port: number; protocol: string }[]) {
      expect(c.ip ?? c.address).to.equal('127.0.0.1');
      expect(['udp', 'tcp']).to.include(c.protocol);
      expect(c.port).to.be.within(RTC_MIN_PORT, RTC_MAX_PORT);
    }
    expect(t.dtlsParameters).to.have.property('fingerprints').that.is.an('array').that.is.not.empty;
  }

  before(async () => {
    server = await startTestServer();
    a = await createOrganization(server.services, { name: 'Clinic A' });
    b = await createOrganization(server.services, { name: 'Clinic B' });
    // A second professional in organization A, with no part in A's calls.
    const password = `pw-${hexId()}`;
    const a2 = await server.services.organizations.createProfessional(a.org.id, {
      name: 'Dr. Second',
      email: `second-${hexId().slice(0, 8)}@example.com`,
      passwordHash: await hashPassword(password),
    });
    proA = await professionalSocket(server, (await login(server, a.professional.email, a.professional.password)).cookie);
    proA2 = await professionalSocket(server, (await login(server, a2.email, password)).cookie);
    proB = await professionalSocket(server, (await login(server, b.professional.email, b.professional.password)).cookie);
    caps = await deviceRtpCapabilities(server);
  });
  after(async () => {
    await server?.close();
  });

  it('a visitor socket has no queue events: queue:admit and queue:list are unknown events (bad_request)', async () => {
    const v = await checkIn('Ola');
    const other = await checkIn('Kari');
    for (const [event, payload] of [['queue:admit', { visitorId: other.visitorId }], ['queue:admit', { visitorId: v.visitorId }], ['queue:list', {}]] as const) {
      const ack = (await askRaw(v.socket, event, payload)) as { error: { message: string } };
      expectError(ack, 'bad_request', event);
      expect(ack.error.message).to.equal('unknown event');
    }
    expect((await server.services.waitingRoom.getVisitor(a.org.id, other.visitorId))?.state).to.equal('waiting');
    v.socket.disconnect();
    other.socket.disconnect();
  });

  it("a professional of another organization cannot see, hear of, admit or join this organization's visitor", async () => {
    const eventsB = recordEvents(proB);
    const eventsA = recordEvents(proA);
    const seenByB = eventsB.events.length;
    const v = await checkIn('Per Hansen');
    await eventsA.waitFor('queue:arrived', (w: { visitorId: string }) => w.visitorId === v.visitorId);
    await roundTrip(proB);
    expect(eventsB.events.slice(seenByB), 'B hears nothing of A').to.deep.equal([]);

    const listB = await ask(proB, 'queue:list', {});
    expectOk(listB);
    expect(listB.visitors.map((w) => w.visitorId)).not.to.include(v.visitorId);
    const listA = await ask(proA, 'queue:list', {});
    expectOk(listA);
    expect(listA.visitors.map((w) => w.visitorId)).to.include(v.visitorId);

    expectError(await ask(proB, 'queue:admit', { visitorId: v.visitorId }), 'not_found');
    expect((await server.services.waitingRoom.getVisitor(a.org.id, v.visitorId))?.state).to.equal('waiting');

    // Once admitted by A, the call is A's: B cannot join it or end it.
    const callId = await admit(v.visitorId);
    expectError(await ask(proB, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }), 'not_found');
    expectError(await ask(proB, 'call:hang-up', { callId }), 'not_found');
    expect(eventsB.events.slice(seenByB), 'B still hears nothing of A').to.deep.equal([]);
    expectOk(await ask(proA, 'call:hang-up', { callId }));
    v.socket.disconnect();
  });

  it("a visitor cannot join or end a call it was not admitted to, nor another visitor's; nor can another professional", async () => {
    const v1 = await checkIn('Anne');
    const v2 = await checkIn('Bjørn');
    const callId = await admit(v1.visitorId);
    await recordEvents(v1.socket).waitFor('visit:admitted');

    // The waiting visitor, and the admitted one with a made-up call id.
    expectError(await ask(v2.socket, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }), 'not_found', 'v2 joins v1 call');
    expectError(await ask(v2.socket, 'call:join', { callId: hexId(), rtpCapabilities: caps, publicKey: testPublicKey }), 'not_found', 'v2 unknown call');
    expectError(await ask(v1.socket, 'call:join', { callId: hexId(), rtpCapabilities: caps, publicKey: testPublicKey }), 'not_found', 'v1 unknown call');
    expectError(await ask(v2.socket, 'call:hang-up', { callId }), 'not_found', 'v2 hangs up v1 call');
    expectError(
      await ask(v2.socket, 'media:connect-transport', { callId, transportId: crypto.randomUUID(), dtlsParameters: { role: 'client', fingerprints: [] } }),
      'not_found',
      'v2 media on v1 call',
    );
    // A visitor of another organization, and another professional of the same organization.
    const foreign = await checkIn('Outsider', b);
    expectError(await ask(foreign.socket, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }), 'not_found', 'other org visitor');
    expectError(await ask(proA2, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }), 'not_found', 'colleague joins');
    expectError(await ask(proA2, 'call:hang-up', { callId }), 'not_found', 'colleague hangs up');

    // The call is untouched: its own visitor can still join it.
    const joined = await ask(v1.socket, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expectOk(joined, 'v1 joins own call');
    expectOk(await ask(v1.socket, 'call:hang-up', { callId }));
    for (const s of [v1.socket, v2.socket, foreign.socket]) s.disconnect();
  });

  it('admitting a visitor who left gets not_waiting; admitting one twice already_admitted, and after the call not_waiting', async () => {
    const eventsA = recordEvents(proA);
    const v = await checkIn('Leaving Visitor');
    expectOk(await ask(v.socket, 'visit:leave', {}));
    await eventsA.waitFor('queue:removed', (e: { visitorId: string; reason: string }) => e.visitorId === v.visitorId && e.reason === 'left');
    expectError(await ask(proA, 'queue:admit', { visitorId: v.visitorId }), 'not_waiting');
    expectError(await ask(v.socket, 'visit:leave', {}), 'not_waiting');
    expectError(await ask(proA, 'queue:admit', { visitorId: hexId() }), 'not_found');

    const w = await checkIn('Admitted Twice');
    const callId = await admit(w.visitorId);
    expectError(await ask(proA, 'queue:admit', { visitorId: w.visitorId }), 'already_admitted');
    expectOk(await ask(proA, 'call:hang-up', { callId }));
    expectError(await ask(proA, 'queue:admit', { visitorId: w.visitorId }), 'not_waiting');
    v.socket.disconnect();
    w.socket.disconnect();
  });

  it('call:join with real mediasoup gives both sides transports with ICE candidates; hang-up by one ends the call for both', async () => {
    const v = await checkIn('Caller One');
    const callId = await admit(v.visitorId);
    await recordEvents(v.socket).waitFor('visit:admitted', (e: { callId: string }) => e.callId === callId);

    const visitorJoined = await ask(v.socket, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expectOk(visitorJoined, 'visitor joins');
    const proJoined = await ask(proA, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expectOk(proJoined, 'professional joins');
    for (const joined of [visitorJoined, proJoined] as CallJoined[]) {
      expectTransport(joined.sendTransport);
      expectTransport(joined.recvTransport);
      expect(joined.sendTransport.id).not.to.equal(joined.recvTransport.id);
      expect(joined.consumers).to.deep.equal([]);
    }
    expect(visitorJoined.peers).to.deep.equal([]);
    expect(proJoined.peers).to.deep.equal([{ id: `visitor:${v.visitorId}`, role: 'visitor', name: 'Caller One', publicKey: testPublicKey }]);
    expect((visitorJoined as CallJoined).encryption).to.equal('end-to-end');

    const proEvents = recordEvents(proA);
    const already = proEvents.events.length;
    expectOk(await ask(v.socket, 'call:hang-up', { callId }), 'visitor hangs up');
    await proEvents.waitFor('call:ended', (e: { callId: string }) => e.callId === callId);
    expect(proEvents.events.slice(already).filter((e) => e.event === 'call:ended')).to.have.length(1);
    expectError(await ask(v.socket, 'call:hang-up', { callId }), 'call_ended', 'second hang-up (visitor)');
    expectError(await ask(proA, 'call:hang-up', { callId }), 'call_ended', 'second hang-up (professional)');
    expectError(await ask(v.socket, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }), 'call_ended', 'join after the end');
    const status = await ask(v.socket, 'visit:status', {});
    expectOk(status);
    expect(status.visit).to.deep.equal({ state: 'ended' });

    // And the other way round: the professional hangs up, the visitor hears of it.
    const v2 = await checkIn('Caller Two');
    const call2 = await admit(v2.visitorId);
    expectOk(await ask(v2.socket, 'call:join', { callId: call2, rtpCapabilities: caps, publicKey: testPublicKey }));
    expectOk(await ask(proA, 'call:join', { callId: call2, rtpCapabilities: caps, publicKey: testPublicKey }));
    expectOk(await ask(proA, 'call:hang-up', { callId: call2 }), 'professional hangs up');
    await recordEvents(v2.socket).waitFor('call:ended', (e: { callId: string }) => e.callId === call2);
    expectError(await ask(v2.socket, 'call:hang-up', { callId: call2 }), 'call_ended');
    v.socket.disconnect();
    v2.socket.disconnect();
  });

  it('a waiting visitor hears nothing while another visitor is admitted, in a call and hung up (but its own place in line); then only its own visit:admitted', async () => {
    const waiting = await checkIn('Patient Waiter');
    const heard = recordEvents(waiting.socket);

    const other = await checkIn('Other Visitor');
    const callId = await admit(other.visitorId);
    await recordEvents(other.socket).waitFor('visit:admitted');
    expectOk(await ask(other.socket, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }));
    expectOk(await ask(proA, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey }));
    expectOk(await ask(waiting.socket, 'visit:status', {})); // acks are not events
    expectOk(await ask(proA, 'call:hang-up', { callId }));
    await recordEvents(other.socket).waitFor('call:ended');
    const third = await checkIn('Third Visitor'); // another arrival and departure in the same room
    expectOk(await ask(third.socket, 'visit:leave', {}));
    // The sentinel: the professional heard of the departure, and the waiting visitor's socket has answered since.
    await recordEvents(proA).waitFor('queue:removed', (e: { visitorId: string }) => e.visitorId === third.visitorId);
    await roundTrip(waiting.socket);
    // Only its own place in line (someone ahead went): a number and an estimate, nothing about anyone else.
    const places = heard.events.filter((e) => e.event === 'visit:place');
    expect(heard.events.filter((e) => e.event !== 'visit:place'), 'while waiting').to.deep.equal([]);
    for (const p of places) {
      expect(Object.keys(p.args[0] as object).sort()).to.deep.equal(['estimatedMinutes', 'position']);
      expect(p.args).to.have.length(1);
    }
    heard.events.length = 0;

    const ownCall = await admit(waiting.visitorId);
    await heard.waitFor('visit:admitted');
    await roundTrip(waiting.socket);
    expect(heard.events).to.deep.equal([{ event: 'visit:admitted', args: [{ callId: ownCall }] }]);
    expectOk(await ask(proA, 'call:hang-up', { callId: ownCall }));
    for (const s of [waiting.socket, other.socket, third.socket]) s.disconnect();
  });
});
