import { expect } from 'chai';
import { toBase64Url } from '../../client/src/call-engine/e2ee/bytes.ts';
import { deviceIdOf } from '../../client/src/call-engine/e2ee/device-keys.ts';
import { generateKeyPair } from '../../client/src/call-engine/e2ee/key-exchange.ts';
import { sealMessage } from '../../client/src/call-engine/e2ee/message-crypto.ts';
import type { CheckInConfig, VisitResponse, WaitingMessage } from '../protocol/index.ts';
import {
  addMember,
  ask,
  createOrganization,
  deviceRtpCapabilities,
  disconnected,
  joinWaitingRoom,
  login,
  postJson,
  professionalSocket,
  recordEvents,
  startTestServer,
  visitorSocket,
  type TestServer,
  testPublicKey,
} from './test-support/test-server.ts';

/*
 * The design's data table: application logs hold no names, phone numbers, e-mail addresses or secrets.
 * A whole consultation runs against a real server logging at the most verbose level, then every captured
 * line is searched for each personal value and secret that went through it.
 */
describe('application logs hold no personal data or secrets (real server)', function () {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ env: { LOG_LEVEL: 'trace' } });
  });
  after(async () => {
    await server?.close();
  });

  it('after check-in, login, admission, a call, hang-up, history and logout, no log line has the name, token, e-mail, password or cookie', async () => {
    const visitorName = 'Zyxwvut Qwertyson';
    const org = await createOrganization(server.services, { name: 'Logging Clinic' });
    const caps = await deviceRtpCapabilities(server);

    // A failed login of a real account and of an unknown one first: those log lines are the likeliest to carry the e-mail.
    for (const email of [org.professional.email, 'Unknown.Person@Example.com']) {
      const res = await postJson(server, '/api/auth/login', { email, password: 'Wrong-Password-123' });
      expect(res.status).to.equal(401);
      await res.body?.cancel();
    }
    const { cookie, csrfToken } = await login(server, org.professional.email, org.professional.password);
    const pro = await professionalSocket(server, cookie);
    const proEvents = recordEvents(pro);

    const { visitorToken, visitorId } = await joinWaitingRoom(server, org.room.slug, visitorName);
    const visitor = await visitorSocket(server, visitorToken);
    const visitorEvents = recordEvents(visitor);
    await proEvents.waitFor('queue:arrived');
    const list = await ask(pro, 'queue:list', {});
    expect(list.ok && list.visitors.map((v) => v.name)).to.deep.equal([visitorName]);

    const admitted = await ask(pro, 'queue:admit', { visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const { callId } = admitted;
    await visitorEvents.waitFor('visit:admitted');
    expect((await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })).ok).to.equal(true);
    const proJoin = await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expect(proJoin.ok && proJoin.peers.map((p) => p.name)).to.deep.equal([visitorName]);
    // Requests the server or mediasoup refuse, with personal data in them (error paths log error messages).
    if (!proJoin.ok) throw new Error('join failed');
    const garbage = { role: 'client', fingerprints: [{ algorithm: visitorName, value: org.professional.email }], name: visitorName };
    await ask(pro, 'media:connect-transport', { callId, transportId: proJoin.sendTransport.id, dtlsParameters: garbage });
    await ask(pro, 'media:produce', {
      callId, transportId: proJoin.sendTransport.id, kind: 'audio', source: 'microphone',
      rtpParameters: { mid: visitorName, codecs: [{ mimeType: visitorName }], encodings: [{ rid: org.professional.email }] },
    });
    await ask(pro, 'call:join', { callId, rtpCapabilities: { codecs: [{ mimeType: visitorName }], email: org.professional.email }, publicKey: testPublicKey });
    expect((await ask(pro, 'call:hang-up', { callId })).ok).to.equal(true);
    await visitorEvents.waitFor('call:ended');

    const history = await fetch(`${server.url}/api/history`, { headers: { cookie } });
    expect(JSON.stringify(await history.json())).to.contain(visitorName);
    const closing = disconnected(pro);
    const logout = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie, origin: server.origin, 'x-csrf-token': csrfToken } });
    expect(logout.status).to.equal(204);
    await closing;
    visitor.disconnect();

    const cookieValue = cookie.slice(cookie.indexOf('=') + 1);
    const secrets: Record<string, string> = {
      'visitor name': visitorName,
      'visitor first name': 'Zyxwvut',
      'visitor last name': 'Qwertyson',
      'visitor token': visitorToken,
      'visitor token secret': visitorToken.split('.')[2]!,
      'professional e-mail': org.professional.email,
      'unknown e-mail': 'unknown.person@example.com',
      password: org.professional.password,
      'wrong password': 'Wrong-Password-123',
      'session cookie value': cookieValue,
      'session secret': cookieValue.split('.')[1]!,
      'CSRF token': csrfToken,
    };
    const lines = server.logs();
    // The flow must have been logged at all, or this proves nothing.
    const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    for (const msg of ['login failed', 'professional logged in', 'visitor joined the waiting room', 'visitor admitted', 'participant joined call media', 'call ended', 'professional logged out']) {
      expect(messages).to.include(msg);
    }
    for (const line of lines) {
      for (const [what, value] of Object.entries(secrets)) {
        expect(line.toLowerCase(), `log line contains the ${what}: ${line}`).not.to.contain(value.toLowerCase());
      }
    }
  });

  it('redacts personal fields in objects a log call is given', () => {
    const before = server.logs().length;
    server.services.log.info({ name: 'X', visitor: { name: 'Y' }, token: 'Z' }, 'redaction check');
    server.services.log.info(
      {
        email: 'e@example.com',
        phone: '+4712345678',
        password: 'p',
        cookie: 'c',
        visitorToken: 'vt',
        csrfToken: 'ct',
        sessionId: 'sid',
        authorization: 'Bearer b',
        pro: { email: 'e2@example.com', phone: '+4787654321', visitorName: 'vn' },
        req: { headers: { cookie: 'consult_sid=abc', authorization: 'Basic x' } },
      },
      'redaction check 2',
    );
    const [first, second] = server.logs().slice(before).map((l) => JSON.parse(l) as Record<string, any>);
    expect(first).to.include({ name: '[redacted]', token: '[redacted]', msg: 'redaction check' });
    expect(first!.visitor).to.deep.equal({ name: '[redacted]' });
    for (const key of ['email', 'phone', 'password', 'cookie', 'visitorToken', 'csrfToken', 'sessionId', 'authorization']) {
      expect(second![key], key).to.equal('[redacted]');
    }
    expect(second!.pro).to.deep.equal({ email: '[redacted]', phone: '[redacted]', visitorName: '[redacted]' });
    expect(second!.req.headers).to.deep.equal({ cookie: '[redacted]', authorization: '[redacted]' });
  });
  it('a check-in with name, phone, birth date and reason, messages both ways and logins leave none of it in the log', async () => {
    const org = await createOrganization(server.services, { name: 'Quiet Log Clinic' });
    const admin = await addMember(server.services, org.org.id, { role: 'admin' });
    const adminAuth = await login(server, admin.email, admin.password);
    const form: CheckInConfig = {
      name: { enabled: true, required: true },
      phone: { enabled: true, required: true },
      birthDate: { enabled: true, required: true },
      reason: { enabled: true, required: false },
      custom: [{ id: 'insurer1', label: 'Insurance company', kind: 'text', required: false }],
      consent: null,
      pseudonymous: false,
      bankId: false,
    };
    const put = await fetch(`${server.url}/api/admin/rooms/${org.room.id}/check-in`, {
      method: 'PUT',
      headers: { origin: server.origin, 'content-type': 'application/json', cookie: adminAuth.cookie, 'x-csrf-token': adminAuth.csrfToken },
      body: JSON.stringify(form),
    });
    expect(put.status).to.equal(200);

    const answers = {
      name: 'Brynjulf Kvasirsen',
      phone: '+47 934 56 781',
      birthDate: '1961-07-23',
      reason: 'Vondt i venstre kne etter fallulykke',
      custom: { insurer1: 'Trollheim Forsikring' },
    };
    // Refused answers first (a phone that is not one, a date in the future): error paths carry the input too.
    for (const bad of [{ ...answers, phone: `${answers.phone} (${answers.name})` }, { ...answers, birthDate: '2999-01-01' }]) {
      const refused = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: bad });
      expect(refused.status).to.equal(400);
      await refused.body?.cancel();
    }
    const checkIn = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers });
    expect(checkIn.status).to.equal(201);
    const visit = (await checkIn.json()) as VisitResponse;

    // The professional: a wrong password, then a login with the second factor.
    const wrong = await postJson(server, '/api/auth/login', { email: org.professional.email, password: 'Not-Her-Password-77' });
    expect(wrong.status).to.equal(401);
    await wrong.body?.cancel();
    const proAuth = await login(server, org.professional.email, org.professional.password);
    const pro = await professionalSocket(server, proAuth.cookie);
    const proHears = recordEvents(pro);
    const list = await ask(pro, 'queue:list', {});
    expect(list.ok && list.visitors.map((v) => [v.name, v.checkIn?.phone])).to.deep.include([answers.name, answers.phone]);

    // Messages both ways, sealed in the "browsers" as the apps do.
    const visitor = await visitorSocket(server, visit.visitorToken);
    const visitorHears = recordEvents(visitor);
    const visitorKeys = await generateKeyPair();
    const visitorKey = toBase64Url(visitorKeys.publicKey);
    const deviceKeys = await generateKeyPair();
    const device = { id: await deviceIdOf(deviceKeys.publicKey), publicKey: toBase64Url(deviceKeys.publicKey) };
    expect((await ask(visitor, 'messages:key', { publicKey: visitorKey })).ok).to.equal(true);
    expect((await ask(pro, 'messages:device', { deviceId: device.id, publicKey: device.publicKey })).ok).to.equal(true);
    const toVisitor = 'Fastlegen din ringer deg om fem minutter, Brynjulf.';
    const toPro = 'Takk, jeg sitter klar med medisinlista.';
    const proCopies = [
      { to: 'visitor', blob: await sealMessage(deviceKeys, visitorKey, visit.visitorId, device.id, 'visitor', toVisitor) },
      { to: device.id, blob: await sealMessage(deviceKeys, device.publicKey, visit.visitorId, device.id, device.id, toVisitor) },
    ];
    expect((await ask(pro, 'messages:send', { visitorId: visit.visitorId, deviceId: device.id, copies: proCopies })).ok).to.equal(true);
    await visitorHears.waitFor<WaitingMessage>('messages:new');
    const visitorCopies = [
      { to: device.id, blob: await sealMessage(visitorKeys, device.publicKey, visit.visitorId, 'visitor', device.id, toPro) },
      { to: 'visitor', blob: await sealMessage(visitorKeys, visitorKey, visit.visitorId, 'visitor', 'visitor', toPro) },
    ];
    expect((await ask(visitor, 'messages:send', { copies: visitorCopies })).ok).to.equal(true);
    await proHears.waitFor<WaitingMessage>('messages:new', (m) => m.from === 'visitor');

    const lines = server.logs();
    const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    for (const msg of ['login failed', 'professional logged in', 'visitor joined the waiting room', 'waiting-room message']) {
      expect(messages, 'the flow was logged at all').to.include(msg);
    }
    const sessionCookie = proAuth.cookie.slice(proAuth.cookie.indexOf('=') + 1);
    const forbidden: Record<string, string> = {
      name: answers.name,
      surname: 'Kvasirsen',
      phone: answers.phone,
      'phone digits': answers.phone.replace(/\D/g, ''),
      'phone, national form': '934 56 781',
      'birth date': answers.birthDate,
      'birth date, Norwegian form': '23.07.1961',
      reason: answers.reason,
      'a word of the reason': 'fallulykke',
      'custom answer': 'Trollheim',
      'message to the visitor': toVisitor,
      'message to the professional': toPro,
      'a sealed copy': visitorCopies[0]!.blob.slice(0, 40),
      'visitor token': visit.visitorToken,
      'visitor token secret': visit.visitorToken.split('.').at(-1)!,
      'session cookie': sessionCookie,
      'session secret': sessionCookie.split('.').at(-1)!,
      'CSRF token': proAuth.csrfToken,
      password: org.professional.password,
      'wrong password': 'Not-Her-Password-77',
      'admin password': admin.password,
      'e-mail': org.professional.email,
    };
    for (const line of lines) {
      for (const [what, value] of Object.entries(forbidden)) {
        expect(line.toLowerCase(), `log line contains the ${what}: ${line}`).not.to.contain(value.toLowerCase());
      }
    }
  });

  it('redacts personal keys deep in objects, and scrubs e-mail addresses, numbers, addresses and tokens out of error messages', () => {
    const before = server.logs().length;
    server.services.log.warn(
      {
        visitor: { answers: { name: 'A', phone: '+4791234567' } },
        a: { b: { c: { nationalId: '01017012345', birthDate: '1970-01-01', 'set-cookie': 'consult_sid=x' } } },
        headers: { 'x-forwarded-for': '198.51.100.23' },
        reason: 'Hodepine',
        text: 'hei',
        orgId: 'kept-org-id',
      },
      'redaction check 3',
    );
    const token = 'Q'.repeat(20) + '_-' + 'z9'.repeat(11);
    server.services.log.error(
      { err: new Error(`The 'To' number +47 912 34 567 is not valid for ola.nordmann@example.no (01017012345) from 198.51.100.23 or 2001:db8::7 with ${token}`), callId: 'c1' },
      'an SDK complained',
    );
    server.services.log.error({ err: 'user kari@example.no not found' }, 'a message as err');
    const [third, fourth, fifth] = server.logs().slice(before).map((l) => JSON.parse(l) as Record<string, any>);
    expect(third!.visitor).to.deep.equal({ answers: '[redacted]' });
    expect(third!.a.b.c).to.deep.equal({ nationalId: '[redacted]', birthDate: '[redacted]', 'set-cookie': '[redacted]' });
    expect(third!.headers).to.deep.equal({ 'x-forwarded-for': '[redacted]' });
    expect(third).to.include({ reason: '[redacted]', text: '[redacted]', orgId: 'kept-org-id' });
    expect(fourth!.err).to.equal("Error: The 'To' number [number] is not valid for [e-mail] ([number]) from [address] or [address] with [token]");
    expect(fourth!.callId).to.equal('c1');
    expect(fifth!.err).to.equal('user [e-mail] not found');
  });
});
