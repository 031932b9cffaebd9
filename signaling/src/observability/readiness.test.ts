import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { eventually } from '../test-support/eventually.ts';
import { sleep, startTestServer, type TestServer } from '../test-support/test-server.ts';
import type { ReadinessReport } from './readiness.ts';

/*
 * /healthz and /readyz against the real parts: a real redis-server stopped and started again on its port,
 * real mediasoup workers killed (and their replacements held frozen, so "every worker gone" lasts long
 * enough to be seen), the server answering throughout.
 */
describe('health and readiness probes (real Redis, real mediasoup workers)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let server: TestServer;
  /** A redis-server started again on the first one's port and password (the first one stopped). */
  let restarted: { stop(): Promise<void> } | undefined;
  const metricsToken = 'm'.repeat(16) + Math.random().toString(36).slice(2).padEnd(16, '0');

  before(async () => {
    redis = await startRedis();
    server = await startTestServer({ redis, env: { MEDIA_WORKERS: '2', METRICS_TOKEN: metricsToken } });
  });
  after(async () => {
    await server?.close();
    await restarted?.stop();
  });

  const readyz = async () => {
    const res = await fetch(`${server.url}/readyz`);
    return { status: res.status, report: (await res.json()) as ReadinessReport };
  };

  it('answers /healthz and /readyz with 200 when Redis and the workers are up', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).to.equal(200);
    expect(health.headers.get('cache-control')).to.equal('no-store');
    const { status, report } = await readyz();
    expect(status).to.equal(200);
    expect(report).to.deep.equal({ ready: true, redis: 'ok', media: 'ok', shuttingDown: false });
  });

  it('turns /readyz 503 when Redis stops, and 200 when it is back; /healthz stays 200', async () => {
    const password = new URL(redis.url).password;
    await redis.stop();
    await eventually(async () => (await readyz()).status === 503, { what: 'readyz 503 with Redis stopped', timeoutMs: 20_000 });
    const { report } = await readyz();
    expect(report).to.include({ ready: false, redis: 'failing', media: 'ok' });
    expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
    // The metrics still answer: what comes from Redis is unknown (NaN), the rest is there.
    const metrics = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(metrics.status).to.equal(200);
    const text = await metrics.text();
    expect(text).to.match(/^consult_waiting_visitors nan$/im);
    expect(text).to.match(/^consult_purge_lag_seconds nan$/im);
    expect(text).not.to.match(/^consult_webhook_outbox_entries/m);
    expect(text).to.match(/^consult_media_workers_answering 2$/m);
    expect(text).to.match(/^consult_sockets\{role="visitor"\} 0$/m);

    restarted = await redisServer(redis.port, password);
    await eventually(async () => (await readyz()).status === 200, { what: 'readyz 200 with Redis back', timeoutMs: 20_000 });
    // The outage is in the service's log, once per connection rather than at every retry, without the password.
    const lines = server.logs().filter((l) => l.includes('redis connection'));
    const failing = lines.filter((l) => l.includes('redis connection failing'));
    expect(failing.filter((l) => l.includes('"connection":"main"'))).to.have.length(1);
    expect(lines.some((l) => l.includes('redis connection back'))).to.equal(true);
    for (const line of lines) expect(line).not.to.include(password);
    expect((await readyz()).report).to.deep.equal({ ready: true, redis: 'ok', media: 'ok', shuttingDown: false });
  });

  it('turns /readyz 503 when every mediasoup worker is killed, and 200 when workers are back', async () => {
    const killed = server.services.media.workerPids;
    expect(killed).to.have.length(2);
    // Replacements start at once; each is frozen as it comes (SIGSTOP), so it cannot answer until let go.
    const frozen: number[] = [];
    const freeze = (worker: types.Worker) => {
      process.kill(worker.pid, 'SIGSTOP');
      frozen.push(worker.pid);
    };
    mediasoup.observer.on('newworker', freeze);
    try {
      for (const pid of killed) process.kill(pid, 'SIGKILL');
      await eventually(async () => frozen.length === 2 && server.services.media.workerPids.every((p) => frozen.includes(p)), { what: 'both workers replaced', timeoutMs: 20_000 });
      // (A check made just before the kill may still be shared for half a second.)
      await eventually(async () => (await readyz()).status === 503, { what: 'readyz 503 with no worker answering', timeoutMs: 3000 });
      const { status, report } = await readyz();
      expect(status).to.equal(503);
      expect(report).to.include({ ready: false, redis: 'ok', media: 'failing' });
      expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
    } finally {
      mediasoup.observer.off('newworker', freeze);
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
    }
    await eventually(async () => (await readyz()).status === 200, { what: 'readyz 200 with the workers answering', timeoutMs: 20_000 });
    expect((await readyz()).report).to.deep.equal({ ready: true, redis: 'ok', media: 'ok', shuttingDown: false });
  });

  it('answers many /readyz at once with one look at Redis, so probing it hard costs Redis nothing more', async () => {
    const probeWrites = async () => {
      const stats = (await server.services.redis.info('commandstats')).split('\r\n').find((l) => l.startsWith('cmdstat_set:'));
      return Number(/calls=(\d+)/.exec(stats ?? '')?.[1] ?? 0);
    };
    await sleep(600);
    const before = await probeWrites();
    const answers = await Promise.all(Array.from({ length: 30 }, () => readyz()));
    expect(answers.every((a) => a.status === 200)).to.equal(true);
    // One write for the 30 (another may come from the server's own work meanwhile, e.g. a purge lock).
    expect((await probeWrites()) - before).to.be.within(1, 2);
  });

  it('turns /readyz 503 once the process is shutting down, whatever else is up', async () => {
    server.services.readiness.markShuttingDown();
    const { status, report } = await readyz();
    expect(status).to.equal(503);
    expect(report).to.deep.equal({ ready: false, redis: 'ok', media: 'ok', shuttingDown: true });
    expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
  });
});

/** A redis-server on a given port and password (configured as the tests' own), in a temp dir. */
async function redisServer(port: number, password: string): Promise<{ stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--requirepass', password, '--maxmemory-policy', 'noeviction', '--appendonly', 'yes', '--save', '', '--daemonize', 'no'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise((r) => child.once('exit', r));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
