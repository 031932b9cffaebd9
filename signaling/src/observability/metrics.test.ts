import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { loadConfig } from '../config.ts';
import { freePort } from '../test-support/free-port.ts';
import { eventually } from '../test-support/eventually.ts';
import { startTwilioStandIn } from '../test-support/twilio-stand-in.ts';
import { newId } from '../ids.ts';
import {
  addMember,
  ask,
  memberApi,
  createOrganization,
  deviceRtpCapabilities,
  joinWaitingRoom,
  login,
  professionalSocket,
  startTestServer,
  testPublicKey,
  visitorSocket,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';

/*
 * Prometheus metrics of a real server (real Redis, real mediasoup): who may read them, that they move with
 * a visit from check-in to the call, and that no line of them names or identifies anyone.
 */
describe('metrics (real server, real Redis and mediasoup)', function () {
  this.timeout(60_000);
  const token = randomBytes(32).toString('hex');
  let server: TestServer;
  let org: TestOrganization;

  before(async () => {
    server = await startTestServer({ env: { METRICS_TOKEN: token } });
    org = await createOrganization(server.services);
  });
  after(async () => {
    await server?.close();
  });

  async function scrape(): Promise<string> {
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain/);
    return res.text();
  }

  /** The value of one series (`name` or `name{labels}`) in an exposition, or undefined. */
  function valueOf(text: string, series: string): number | undefined {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  it('refuses /metrics without the bearer token, with a wrong one, or with another scheme: 401', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${randomBytes(32).toString('hex')}` },
      { authorization: `Bearer ${token.slice(0, -1)}` },
      { authorization: `Basic ${Buffer.from(`metrics:${token}`).toString('base64')}` },
      { authorization: 'Bearer ' },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${server.url}/metrics`, { headers });
      expect(res.status, JSON.stringify(headers)).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.match(/^Bearer/);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).to.equal('unauthorized');
      expect(JSON.stringify(body)).not.to.include(token);
    }
  });

  it('moves with a visit: waiting, sockets, calls, participants and the admit-to-call latency', async () => {
    const before = await scrape();
    expect(valueOf(before, 'consult_waiting_visitors')).to.equal(0);
    expect(valueOf(before, 'consult_calls')).to.equal(0);
    expect(valueOf(before, 'consult_admit_to_call_seconds_count')).to.equal(0);

    const { cookie } = await login(server, org.professional.email, org.professional.password);
    const pro = await professionalSocket(server, cookie);
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ingrid Testesen');
    const visitor = await visitorSocket(server, visit.visitorToken);
    const waiting = await scrape();
    expect(valueOf(waiting, 'consult_waiting_visitors')).to.equal(1);
    expect(valueOf(waiting, 'consult_sockets{role="visitor"}')).to.equal(1);
    expect(valueOf(waiting, 'consult_sockets{role="professional"}')).to.equal(1);

    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const caps = await deviceRtpCapabilities(server);
    const joined = await ask(visitor, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expect(joined.ok).to.equal(true);
    expect((await ask(pro, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey })).ok).to.equal(true);

    const inCall = await scrape();
    expect(valueOf(inCall, 'consult_waiting_visitors')).to.equal(0);
    expect(valueOf(inCall, 'consult_calls')).to.equal(1);
    expect(valueOf(inCall, 'consult_call_participants')).to.equal(2);
    expect(valueOf(inCall, 'consult_admit_to_call_seconds_count')).to.equal(1);
    const latency = valueOf(inCall, 'consult_admit_to_call_seconds_sum')!;
    expect(latency).to.be.greaterThan(0).and.lessThan(30);
    // The worker hosting the call: its routers and CPU time, by process id.
    const [pid] = server.services.media.workerPids;
    expect(valueOf(inCall, `consult_media_worker_routers{worker_pid="${pid}"}`)).to.be.at.least(1);
    expect(valueOf(inCall, `consult_media_worker_cpu_seconds{worker_pid="${pid}"}`)).to.be.greaterThan(0);
    expect(valueOf(inCall, 'consult_media_workers_answering')).to.equal(1);
    // Redis commands are timed by command, HTTP requests by their route's pattern; Node's defaults are there.
    expect(inCall).to.match(/^consult_redis_command_duration_seconds_count\{command="evalsha"\} [1-9]/m);
    expect(inCall).to.match(/^consult_http_request_duration_seconds_count\{method="POST",route="\/api\/visits",status="201"\} 1$/m);
    expect(inCall).to.match(/^process_cpu_user_seconds_total /m);
    expect(inCall).to.match(/^nodejs_heap_size_used_bytes /m);

    // The visitor's page reloads and joins again: the same admission, not measured twice.
    visitor.disconnect();
    const again = await visitorSocket(server, visit.visitorToken);
    const rejoined = await ask(again, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expect(rejoined.ok, JSON.stringify(rejoined)).to.equal(true);
    expect(valueOf(await scrape(), 'consult_admit_to_call_seconds_count')).to.equal(1);
    again.disconnect();
    pro.disconnect();
  });

  it('shows webhook outbox depth and failures, SMS outcomes and the purge job (last success and lag)', async () => {
    await server.purge.runIfLocked();
    const text = await scrape();
    expect(valueOf(text, 'consult_webhook_outbox_entries{state="queued"}')).to.be.a('number').and.not.NaN;
    expect(valueOf(text, 'consult_webhook_outbox_entries{state="retrying"}')).to.equal(0);
    expect(valueOf(text, 'consult_webhook_attempts_total{outcome="failed"}')).to.equal(0);
    expect(valueOf(text, 'consult_sms_total{outcome="sent"}')).to.equal(0);
    expect(valueOf(text, 'consult_sms_total{outcome="failed"}')).to.equal(0);
    const last = valueOf(text, 'consult_purge_last_success_timestamp_seconds')!;
    expect(Date.now() / 1000 - last).to.be.within(0, 30);
    expect(valueOf(text, 'consult_purge_lag_seconds')).to.be.within(0, 30);
  });

  it('names no one in any line: no visitor name, token, e-mail, 32-hex id, nor a path as requested', async () => {
    const visitorName = 'Solveig Hemmelig-Navnesen';
    const { cookie } = await login(server, org.professional.email, org.professional.password);
    const visit = await joinWaitingRoom(server, org.room.slug, visitorName);
    const visitor = await visitorSocket(server, visit.visitorToken);
    // Paths that carry ids and secrets: the room's link, and an old-form consultation link.
    const secret = randomBytes(32).toString('base64url');
    await fetch(`${server.url}/api/rooms/${org.room.slug}`, { headers: { origin: server.origin } });
    await fetch(`${server.url}/c/${org.org.id}.${randomBytes(16).toString('hex')}.${secret}`);
    await fetch(`${server.url}/no-such-page/${randomBytes(16).toString('hex')}`);
    const text = await scrape();
    visitor.disconnect();

    const forbidden = [visitorName, 'Hemmelig', visit.visitorToken, visit.visitorId, org.org.id, org.room.slug, org.professional.email, org.professional.name, token, cookie.split('=')[1]!, secret];
    const lines = text.split('\n');
    expect(lines.length).to.be.greaterThan(100);
    for (const line of lines) {
      for (const value of forbidden) expect(line, line).not.to.include(value);
      expect(line, line).not.to.match(/[0-9a-f]{32}/i);
      expect(line, line).not.to.include('@');
    }
    expect(text).to.include('route="/api/rooms/:slug"');
    expect(text).to.include('route="/c/:page"');
    expect(text).to.include('route="(no route)"');
  });
});

describe('metrics of webhook deliveries and text messages (real server, real Twilio SDK on a local stand-in)', function () {
  this.timeout(60_000);
  const SID = `AC${'2'.repeat(32)}`;
  const TWILIO_TOKEN = 'twilio-test-auth-token-metrics';
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
  let server: TestServer;
  let metricsPort: number;

  before(async () => {
    twilio = await startTwilioStandIn(SID, TWILIO_TOKEN);
    metricsPort = await freePort();
    server = await startTestServer({
      env: {
        METRICS_PORT: String(metricsPort),
        TWILIO_ACCOUNT_SID: SID,
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TWILIO_FROM: '+4759440000',
        TWILIO_API_BASE_URL: twilio.url,
        WEBHOOK_ALLOWED_ADDRESS_RANGES: '127.0.0.0/8',
        WEBHOOK_ALLOW_PLAIN_HTTP: 'true',
        // A failed delivery waits a minute for its retry: long enough to be seen waiting.
        WEBHOOK_RETRY_BASE_MS: '60000',
      },
    });
  });
  after(async () => {
    await server?.close();
    await twilio?.close();
  });

  const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const valueOf = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('counts a failed webhook attempt and shows its delivery waiting for a retry', async () => {
    const org = await createOrganization(server.services);
    const admin = await addMember(server.services, org.org.id, { role: 'admin' });
    const api = await memberApi(server, org.org.id, admin.id);
    // An endpoint nobody listens on: every attempt fails.
    const registered = await api.call('POST', '/api/admin/webhooks', { url: `http://127.0.0.1:${await freePort()}/hook`, events: ['visitor.arrived'] });
    expect(registered.status, JSON.stringify(registered.body)).to.equal(201);
    expect(valueOf(await scrape(), 'consult_webhook_attempts_total{outcome="retrying"}')).to.equal(0);
    await server.services.events.emit(org.org.id, 'visitor.arrived', { visitorId: newId() });
    await eventually(async () => valueOf(await scrape(), 'consult_webhook_attempts_total{outcome="retrying"}') === 1, { what: 'a failed attempt counted', timeoutMs: 15_000, intervalMs: 100 });
    const text = await scrape();
    expect(valueOf(text, 'consult_webhook_outbox_entries{state="retrying"}')).to.equal(1);
    expect(valueOf(text, 'consult_webhook_attempts_total{outcome="delivered"}')).to.equal(0);
  });

  it('counts a text message Twilio took as sent, and one it could not be reached for as failed', async () => {
    const org = await createOrganization(server.services);
    const api = await memberApi(server, org.org.id, org.professional.id);
    expect((await api.call('POST', '/api/settings/sms/phone', { phone: '+4791234567' })).status).to.equal(204);
    expect(twilio.sent).to.have.length(1);
    let text = await scrape();
    expect(valueOf(text, 'consult_sms_total{outcome="sent"}')).to.equal(1);
    expect(valueOf(text, 'consult_sms_total{outcome="failed"}')).to.equal(0);

    await twilio.close();
    const colleague = await addMember(server.services, org.org.id);
    const refused = await memberApi(server, org.org.id, colleague.id);
    expect((await refused.call('POST', '/api/settings/sms/phone', { phone: '+4791234568' })).status).to.be.at.least(400);
    text = await scrape();
    expect(valueOf(text, 'consult_sms_total{outcome="sent"}')).to.equal(1);
    expect(valueOf(text, 'consult_sms_total{outcome="failed"}')).to.equal(1);
    expect(text).not.to.include('4791234567');
    expect(text).not.to.include('4791234568');
  });
});

describe('metrics on a port of their own (METRICS_PORT)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let metricsPort: number;

  before(async () => {
    metricsPort = await freePort();
    server = await startTestServer({ env: { METRICS_PORT: String(metricsPort) } });
  });
  after(async () => {
    await server?.close();
  });

  it('serves the metrics there only, without a token, and nothing else there', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.match(/^consult_calls 0$/m);
    expect((await fetch(`${server.url}/metrics`)).status).to.equal(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).to.equal(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status).to.equal(404);
  });
});

describe('metrics settings', () => {
  const base = {
    PUBLIC_ORIGIN: 'http://127.0.0.1:3000',
    REDIS_URL: 'redis://127.0.0.1:6379',
    ADDRESS_HASH_KEY: randomBytes(32).toString('hex'),
    DATA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  };

  it('are off unless set, and take a port and a long token', () => {
    const off = loadConfig(base);
    expect(off.METRICS_PORT).to.equal(undefined);
    expect(off.METRICS_TOKEN).to.equal(undefined);
    const on = loadConfig({ ...base, METRICS_PORT: '9464', METRICS_TOKEN: 'a'.repeat(64) });
    expect(on.METRICS_PORT).to.equal(9464);
  });

  it('refuse a short or spaced token, a port that is not one, or the service port, naming the setting', () => {
    const refused: [Record<string, string>, string][] = [
      [{ METRICS_TOKEN: 'short-token' }, 'METRICS_TOKEN'],
      [{ METRICS_TOKEN: `${'a'.repeat(20)} ${'b'.repeat(20)}` }, 'METRICS_TOKEN'],
      [{ METRICS_PORT: 'nine' }, 'METRICS_PORT'],
      [{ METRICS_PORT: '70000' }, 'METRICS_PORT'],
      [{ METRICS_PORT: '3000', PORT: '3000' }, 'METRICS_PORT'],
    ];
    for (const [env, name] of refused) expect(() => loadConfig({ ...base, ...env }), JSON.stringify(env)).to.throw(name);
  });
});
