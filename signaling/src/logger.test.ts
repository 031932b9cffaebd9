import { expect } from 'chai';
import {
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
});
