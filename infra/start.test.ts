import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { freePort } from '../signaling/src/test-support/free-port.ts';
import { turnCredential } from '../signaling/src/turn/turn-credentials.ts';
import { TurnClient } from './turn/turn-client.ts';

/*
 * `npm start`'s service part (infra/start.ts; npm start runs infra/setup.sh first, as `npm test` did before
 * this suite): its own redis-server configured as the README says, the demo organization on an empty
 * database, the links it prints working, Ctrl-C stopping everything, and a second start keeping the data.
 */

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

const root = new URL('..', import.meta.url).pathname;

function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/start.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start banner within 60 s; stderr:\n${err}`)), 60_000);
    const check = () => {
      if (out.includes('Stop with Ctrl-C')) {
        clearTimeout(timer);
        resolve({ child, stdout: () => out, stderr: () => err });
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start.ts exited (${code}) before it was up; stderr:\n${err}`));
    });
  });
}

function interrupt(s: Started): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.once('exit', (code) => resolve(code));
    s.child.kill('SIGINT');
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** PING without a password, on a bare socket: the first line Redis answers. */
function rawPing(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (d) => (socket.destroy(), resolve(d.toString().split('\r\n')[0]!)));
    socket.once('error', reject);
  });
}

describe('npm start: one command runs the service (real redis-server, server, mediasoup)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let env: Record<string, string>;
  let running: Started | undefined;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-start-'));
    env = {
      CONSULT_DATA_DIR: dataDir,
      REDIS_PORT: String(await freePort()),
      PORT: String(await freePort()),
      TURN_PORT: String(await freePort()),
      MEDIA_WORKERS: '1',
      LOG_LEVEL: 'warn',
    };
  });
  after(async () => {
    if (running && running.child.exitCode === null) await interrupt(running);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('with LOG_DIR the service logs to a file of the day there (not stdout) and deletes files past LOG_RETENTION_DAYS at start', async () => {
    // A data dir of its own, so the next test still sees a first start.
    const ownData = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-start-logs-'));
    const logDir = path.join(ownData, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    const old = path.join(logDir, 'consult-2020-01-01.log');
    fs.writeFileSync(old, '{}\n');
    const today = `consult-${new Date().toISOString().slice(0, 10)}.log`;
    const withFiles = await start({ ...env, CONSULT_DATA_DIR: ownData, REDIS_PORT: String(await freePort()), LOG_DIR: logDir, LOG_RETENTION_DAYS: '3', LOG_LEVEL: 'info' });
    try {
      expect(fs.existsSync(old), 'a file from 2020 is past 3 days').to.equal(false);
      // The day may turn while it starts: the line is in today's file or, just after midnight, yesterday's.
      const written = fs.readdirSync(logDir).filter((f) => /^consult-\d{4}-\d{2}-\d{2}\.log$/.test(f));
      expect(written.length, written.join()).to.be.within(1, 2);
      if (written.length === 1) expect(written[0]).to.equal(today);
      const lines = written.flatMap((f) => fs.readFileSync(path.join(logDir, f), 'utf8').split('\n').filter(Boolean)).map((l) => JSON.parse(l) as { msg: string });
      expect(lines.map((l) => l.msg)).to.include('server listening');
      expect(withFiles.stdout()).not.to.contain('"msg"');
      expect(withFiles.stderr()).to.contain(`logging to ${path.join(logDir, '')}`);
    } finally {
      expect(await interrupt(withFiles)).to.equal(0);
      fs.rmSync(ownData, { recursive: true, force: true });
    }
  });

  it('keys given as files (<NAME>_FILE) are used, and none is generated into the data folder for them', async () => {
    const ownData = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-start-keyfiles-'));
    const secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-start-secrets-'));
    const keyFile = path.join(secretsDir, 'data-encryption-keys');
    const hashKeyFile = path.join(secretsDir, 'address-hash-key');
    fs.writeFileSync(keyFile, `mounted:${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
    fs.writeFileSync(hashKeyFile, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const turnSecretFile = path.join(secretsDir, 'turn-secret');
    fs.writeFileSync(turnSecretFile, `${'cd'.repeat(32)}\n`, { mode: 0o600 });
    const withFiles = await start({
      ...env,
      CONSULT_DATA_DIR: ownData,
      REDIS_PORT: String(await freePort()),
      DATA_ENCRYPTION_KEYS_FILE: keyFile,
      ADDRESS_HASH_KEY_FILE: hashKeyFile,
      // The local coturn's shared secret too.
      TURN_SECRET_FILE: turnSecretFile,
    });
    try {
      const generated = JSON.parse(fs.readFileSync(path.join(ownData, 'secrets.json'), 'utf8')) as Record<string, string>;
      expect(Object.keys(generated)).to.deep.equal(['redisPassword']);
      expect(fs.readdirSync(ownData).join()).not.to.include('mounted');
    } finally {
      expect(await interrupt(withFiles)).to.equal(0);
      fs.rmSync(ownData, { recursive: true, force: true });
      fs.rmSync(secretsDir, { recursive: true, force: true });
    }
  });

  it('with NODE_ENV=production seeds no demo organization and prints no login, only how to create the first clinic', async () => {
    const ownData = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-start-production-'));
    const redisPort = await freePort();
    const production = await start({ ...env, CONSULT_DATA_DIR: ownData, REDIS_PORT: String(redisPort), NODE_ENV: 'production', HOSTING_PROVIDER: 'Example Cloud AS, Norway' });
    try {
      expect(production.stdout()).to.contain('npm run org:create').and.not.to.contain('demo@example.com').and.not.to.match(/password:/);
      expect(fs.existsSync(path.join(ownData, 'demo-login.json'))).to.equal(false);
      const { redisPassword } = JSON.parse(fs.readFileSync(path.join(ownData, 'secrets.json'), 'utf8')) as { redisPassword: string };
      const redis = new Redis({ port: redisPort, password: redisPassword, maxRetriesPerRequest: 0 });
      try {
        expect(await redis.scard('organizations')).to.equal(0);
      } finally {
        redis.disconnect();
      }
    } finally {
      expect(await interrupt(production)).to.equal(0);
      fs.rmSync(ownData, { recursive: true, force: true });
    }
  });

  it('starts its own Redis, seeds the demo, prints working links and a login; Ctrl-C stops it all; a second start keeps the data', async () => {
    running = await start(env);
    const out = running.stdout();
    const dashboard = /Dashboard for professionals:\s+(\S+)/.exec(out)?.[1];
    const login = /demo login:\s+(\S+)\s+password:\s+(\S+)/.exec(out);
    const visitorLink = /Visitor link:\s+(\S+)/.exec(out)?.[1];
    expect(dashboard, out).to.equal(`http://localhost:${env.PORT}/dashboard/`);
    expect(visitorLink, out).to.equal(`http://localhost:${env.PORT}/r/dr-hansen`);
    expect(login, out).not.to.equal(null);
    const [, email, password] = login!;

    // The links work, and so does the login.
    expect((await fetch(dashboard!)).status).to.equal(200);
    expect((await fetch(visitorLink!)).status).to.equal(200);
    const room = await fetch(`http://localhost:${env.PORT}/api/rooms/dr-hansen`);
    expect(((await room.json()) as { professionalName: string }).professionalName).to.be.a('string').that.is.not.empty;
    const res = await fetch(`http://localhost:${env.PORT}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://localhost:${env.PORT}` },
      body: JSON.stringify({ email, password }),
    });
    expect(res.status).to.equal(200);

    // Its Redis: a password, noeviction, AOF, data in the data dir; the secrets file only its owner reads.
    const secretsFile = path.join(dataDir, 'secrets.json');
    expect(fs.statSync(secretsFile).mode & 0o777).to.equal(0o600);
    const { redisPassword } = JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as { redisPassword: string };
    expect(redisPassword).to.match(/^[0-9a-f]{48}$/);
    expect(await rawPing(Number(env.REDIS_PORT))).to.match(/^-NOAUTH/);
    const redis = new Redis({ port: Number(env.REDIS_PORT), password: redisPassword, maxRetriesPerRequest: 0 });
    expect(await redis.config('GET', 'maxmemory-policy')).to.deep.equal(['maxmemory-policy', 'noeviction']);
    expect(await redis.config('GET', 'appendonly')).to.deep.equal(['appendonly', 'yes']);
    expect(await redis.config('GET', 'dir')).to.deep.equal(['dir', fs.realpathSync(path.join(dataDir, 'redis'))]);
    expect(await redis.scard('organizations')).to.equal(1);
    redis.disconnect();
    expect(running.stdout() + running.stderr()).not.to.contain(redisPassword);

    // Its TURN server (coturn): a relay for a credential made with the generated secret, none to elsewhere.
    const { turnSecret } = JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as { turnSecret: string };
    expect(turnSecret).to.match(/^[0-9a-f]{64}$/);
    const credential = turnCredential(turnSecret, 600);
    const turnClient = new TurnClient('127.0.0.1', Number(env.TURN_PORT), credential.username, credential.credential);
    expect(await turnClient.allocate()).to.deep.equal({ result: 'success' });
    expect(await turnClient.createPermission('127.0.0.1')).to.deep.equal({ result: 'success' });
    expect(await turnClient.createPermission('10.0.0.1')).to.deep.equal({ result: 403 });
    turnClient.close();
    expect(running.stdout() + running.stderr()).not.to.contain(turnSecret);

    // Ctrl-C: the server and its Redis stop.
    expect(await interrupt(running)).to.equal(0);
    expect(await portOpen(Number(env.PORT))).to.equal(false);
    expect(await portOpen(Number(env.REDIS_PORT))).to.equal(false);
    const probe = new TurnClient('127.0.0.1', Number(env.TURN_PORT), '', '');
    expect(await probe.ping(), 'coturn stopped too').to.equal(false);
    probe.close();

    // Again: the same data (no second demo organization) and the same login printed.
    running = await start(env);
    expect(running.stdout()).to.contain(`demo login:  ${email}   password: ${password}`);
    const again = new Redis({ port: Number(env.REDIS_PORT), password: redisPassword, maxRetriesPerRequest: 0 });
    expect(await again.scard('organizations')).to.equal(1);
    again.disconnect();
    expect(await interrupt(running)).to.equal(0);
    expect(await portOpen(Number(env.REDIS_PORT))).to.equal(false);
  });
});
