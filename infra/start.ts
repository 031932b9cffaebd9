/**
 * Starts the whole service on one machine: its own redis-server (unless REDIS_URL is given), then the
 * signaling server with its mediasoup workers, and seeds a demo organization on an empty database (not with
 * NODE_ENV=production, where the first clinic comes from `npm run org:create`).
 * Run through `npm start` (infra/start.sh), which runs infra/setup.sh first and exports
 * MEDIASOUP_WORKER_BIN. Ctrl-C / SIGTERM closes the server, then stops redis.
 *
 * Environment (besides everything signaling/src/config.ts reads; see .env.example):
 *   CONSULT_DATA_DIR  where redis data, generated secrets and the demo login live
 *                     (default ~/.local/share/consult)
 *   REDIS_PORT        port of the redis-server started here (default 6390; ignored with REDIS_URL)
 *   TURN_PORT         port (UDP and TCP) of the coturn started here (default 3478; none is started when
 *                     TURN_URLS names a TURN server); it relays from UDP ports 50000-50999
 *   LOG_DIR           (read by config.ts) JSON logs to a file per UTC day there instead of stdout;
 *                     files older than LOG_RETENTION_DAYS (default 14) are deleted at start and daily
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig, resolveSettingFiles } from '../signaling/src/config.ts';
import { createLogger, stdoutLogger } from '../signaling/src/logger.ts';
import { DailyLogFiles } from '../signaling/src/logs/daily-log-files.ts';
import { startServer, type RunningServer } from '../signaling/src/server.ts';
import { seedDemo, type DemoLogin } from '../signaling/src/organizations/seed.ts';
import { runCoturn, type RunningCoturn } from './turn/coturn.ts';

const env = process.env;
loadDotEnv(new URL('../.env', import.meta.url).pathname);
const dataDir = path.resolve(env.CONSULT_DATA_DIR || path.join(os.homedir(), '.local/share/consult'));
const redisDir = path.join(dataDir, 'redis');
const turnDir = path.join(dataDir, 'turn');
const secretsFile = path.join(dataDir, 'secrets.json');
const demoLoginFile = path.join(dataDir, 'demo-login.json');

function say(message: string): void {
  process.stderr.write(`start: ${message}\n`);
}

class StartError extends Error {}

/** Settings from a `.env` file at the root, if there is one; the environment wins over the file. */
function loadDotEnv(file: string): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  for (const [name, value] of Object.entries(parseEnv(text))) env[name] ??= value;
  say(`read settings from ${file}`);
}

// ---------------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------------

/** Writes a file only its owner can read, atomically (temp file + rename). */
function writePrivate(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600, flag: 'w' });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

function readJson<T>(file: string): T | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new StartError(`${file} is not valid JSON; fix or delete it`);
  }
}

interface Secrets {
  redisPassword?: string;
  addressHashKey?: string;
  dataEncryptionKeys?: string;
  turnSecret?: string;
}

/** Secrets generated once per data dir; only the ones the environment does not supply. */
function ensureSecrets(needRedisPassword: boolean, needAddressHashKey: boolean, needDataKeys: boolean, needTurnSecret: boolean): Secrets {
  const secrets = readJson<Secrets>(secretsFile) ?? {};
  let changed = false;
  if (needTurnSecret && !secrets.turnSecret) {
    secrets.turnSecret = randomBytes(32).toString('hex');
    changed = true;
  }
  if (needRedisPassword && !secrets.redisPassword) {
    secrets.redisPassword = randomBytes(24).toString('hex');
    changed = true;
  }
  if (needAddressHashKey && !secrets.addressHashKey) {
    secrets.addressHashKey = randomBytes(32).toString('hex');
    changed = true;
  }
  // Personal fields at rest are encrypted with it: lose this file and that data cannot be read again.
  if (needDataKeys && !secrets.dataEncryptionKeys) {
    secrets.dataEncryptionKeys = `k1:${randomBytes(32).toString('base64')}`;
    changed = true;
  }
  if (changed) writePrivate(secretsFile, `${JSON.stringify(secrets, null, 2)}\n`);
  else if (fs.existsSync(secretsFile)) fs.chmodSync(secretsFile, 0o600);
  return secrets;
}

// ---------------------------------------------------------------------------------------------------
// redis-server
// ---------------------------------------------------------------------------------------------------

interface ManagedRedis {
  child: ChildProcess;
  url: string;
  /** The last lines redis printed, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

async function startRedis(port: number, password: string): Promise<ManagedRedis> {
  fs.mkdirSync(redisDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(redisDir, 0o700);
  // The password goes in through a config on stdin ("-") rather than `--requirepass` on the command
  // line, where every local user could read it in the process list.
  // detached: its own process group, so a Ctrl-C in the terminal reaches only this script, which
  // closes the server first and stops redis after.
  const child = spawn(
    'redis-server',
    ['-', '--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--maxmemory-policy', 'noeviction',
      '--appendonly', 'yes', '--daemonize', 'no', '--loglevel', 'warning'],
    { stdio: ['pipe', 'pipe', 'pipe'], detached: true },
  );
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(line);
    lines.splice(0, Math.max(0, lines.length - 30));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.stdin!.on('error', () => {}); // redis gone before reading its config: reported via 'exit'
  child.stdin!.end(`requirepass "${password}"\n`);

  let spawnError: Error | null = null;
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logTail = () => lines.map((l) => `  | ${l}`).join('\n');
  const managed: ManagedRedis = {
    child,
    url: `redis://:${password}@127.0.0.1:${port}`,
    logTail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };

  // Wait until *our* redis answers PING: another redis-server already on the port (one left over from
  // an earlier run, say) could answer too, so the server's process_id must be our child's.
  const deadline = Date.now() + 60_000;
  let lastError = 'no answer';
  for (;;) {
    if (spawnError) {
      const code = (spawnError as NodeJS.ErrnoException).code;
      throw new StartError(code === 'ENOENT' ? 'redis-server is not installed: run infra/setup.sh' : `cannot run redis-server: ${(spawnError as Error).message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new StartError(`redis-server exited at start (${child.exitCode ?? child.signalCode}); its last lines:\n${logTail()}`);
    }
    const client = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, connectTimeout: 1000,
      retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping(); // answers LOADING while the AOF is read: keep waiting
      const info = await client.info('server');
      const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
      if (pid !== child.pid) {
        await managed.stop();
        throw new StartError(`port ${port} is taken by another redis-server (pid ${pid}), perhaps left over from an earlier run: stop it, or set REDIS_PORT`);
      }
      return managed;
    } catch (error) {
      if (error instanceof StartError) throw error;
      lastError = (error as Error).message;
    } finally {
      client.disconnect();
    }
    if (Date.now() > deadline) {
      await managed.stop();
      throw new StartError(`redis-server did not answer PING within 60 s (${lastError}); its last lines:\n${logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------------
// Demo login
// ---------------------------------------------------------------------------------------------------

/** demo-login.json: the demo login per Redis it was created in (host:port/db, no password). */
type SavedDemoLogins = Record<string, DemoLogin>;

function redisTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return url.replace(/\/\/[^@]*@/, '//');
  }
}

// ---------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------

let redis: ManagedRedis | null = null;
let turn: RunningCoturn | null = null;
let server: RunningServer | null = null;
let logFiles: DailyLogFiles | null = null;
let stopping = false;

async function main(): Promise<void> {
  // The mediasoup worker: infra/setup.sh builds it and start.sh exports its path.
  const workerBin = env.MEDIASOUP_WORKER_BIN;
  if (workerBin) {
    try {
      fs.accessSync(workerBin, fs.constants.X_OK);
    } catch {
      throw new StartError(`MEDIASOUP_WORKER_BIN=${workerBin} is not an executable file: run infra/setup.sh`);
    }
  } else {
    const bundled = new URL('../node_modules/mediasoup/worker/out/Release/mediasoup-worker', import.meta.url).pathname;
    if (!fs.existsSync(bundled)) {
      throw new StartError('MEDIASOUP_WORKER_BIN is not set: start with `npm start`, or export the last line of `infra/setup.sh`');
    }
  }

  // Secrets given as files (`<NAME>_FILE`) count as given: none is generated beside the data for them.
  try {
    const resolved = resolveSettingFiles(env);
    for (const name of Object.keys(env)) if (!(name in resolved)) delete env[name];
    Object.assign(env, resolved);
  } catch (error) {
    throw new StartError((error as Error).message);
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets = ensureSecrets(!env.REDIS_URL, !env.ADDRESS_HASH_KEY, !env.DATA_ENCRYPTION_KEYS, !env.TURN_URLS && !env.TURN_SECRET);
  env.ADDRESS_HASH_KEY ||= secrets.addressHashKey;
  env.DATA_ENCRYPTION_KEYS ||= secrets.dataEncryptionKeys;

  if (env.REDIS_URL) {
    say(`using the Redis at ${redisTarget(env.REDIS_URL)} (REDIS_URL)`);
  } else {
    const port = Number(env.REDIS_PORT || 6390);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartError(`REDIS_PORT=${env.REDIS_PORT} is not a port number`);
    say(`starting redis-server on 127.0.0.1:${port} (data in ${redisDir})`);
    redis = await startRedis(port, secrets.redisPassword!);
    redis.child.once('exit', (code, signal) => {
      if (stopping) return;
      say(`redis-server stopped unexpectedly (${code ?? signal}); its last lines:\n${redis!.logTail()}`);
      void shutdown(1);
    });
    env.REDIS_URL = redis.url;
  }

  if (env.TURN_URLS) {
    say('using the TURN server in TURN_URLS');
  } else {
    turn = await startTurn(env.TURN_SECRET || secrets.turnSecret!);
    turn.child.once('exit', (code, signal) => {
      if (stopping) return;
      say(`turnserver stopped unexpectedly (${code ?? signal}); its last lines:\n${turn!.log().slice(-2000)}`);
      void shutdown(1);
    });
  }

  env.HOST ||= '127.0.0.1';
  env.PUBLIC_ORIGIN ||= `http://localhost:${env.PORT || 3000}`;

  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    throw new StartError((error as Error).message);
  }
  // LOG_DIR: a file per UTC day there, old ones deleted by the server itself; otherwise stdout.
  if (config.LOG_DIR) {
    logFiles = new DailyLogFiles({ dir: path.resolve(config.LOG_DIR), retentionDays: config.LOG_RETENTION_DAYS });
    say(`logging to ${logFiles.currentFile()} (a file per UTC day, kept ${config.LOG_RETENTION_DAYS} days)`);
  }
  // On standard output: readable lines at a terminal, JSON when piped (to journald, a collector, a file).
  const log = logFiles ? createLogger(config.LOG_LEVEL, logFiles) : stdoutLogger(config.LOG_LEVEL);
  try {
    server = await startServer(config, log);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new StartError(`${config.HOST}:${config.PORT} is already in use: stop what runs there, or set PORT`);
    throw new StartError(`the server did not start: ${e.stack ?? e.message}`);
  }
  if (stopping) return;

  const target = redisTarget(config.REDIS_URL);
  const saved = readJson<SavedDemoLogins>(demoLoginFile) ?? {};
  // A production service starts empty: its first clinic comes from `npm run org:create`. A demo admin
  // there would be a real login, its password printed into the service's log.
  const production = config.NODE_ENV === 'production';
  const seeded = production ? null : await seedDemo(server.services.organizations, server.services.audit);
  if (seeded) {
    saved[target] = seeded;
    writePrivate(demoLoginFile, `${JSON.stringify(saved, null, 2)}\n`);
  }
  const login = production ? null : (saved[target] ?? null);

  const origin = config.publicOrigin;
  const lines = [
    '',
    '='.repeat(72),
    `  Video consultation is running: ${origin}  (listening on ${server.url})`,
    '',
    `  Dashboard for professionals:  ${origin}/dashboard/`,
    production
      ? '    first clinic:  npm run org:create -- --name <name> --admin-email <e-mail>   (no demo in production)'
      : login
        ? `    demo login:  ${login.email}   password: ${login.password}`
        : `    demo login:  not known (the database already had data; ${demoLoginFile} has no login for it)`,
    login ? `  Visitor link:                 ${origin}/r/${login.roomSlug}` : `  Visitor links:                ${origin}/r/<room>`,
    '',
    `  Data: ${dataDir}${redis ? `  (redis-server on ${target})` : ''}`,
    '  Stop with Ctrl-C.',
    '='.repeat(72),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * A local coturn beside the SFU, as in production (use-auth-secret, relaying only to the SFU's address),
 * so a browser that can reach nothing else still gets media. The server is told of it through TURN_*.
 */
async function startTurn(secret: string): Promise<RunningCoturn> {
  const port = Number(env.TURN_PORT || 3478);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartError(`TURN_PORT=${env.TURN_PORT} is not a port number`);
  const listenIp = env.RTC_LISTEN_IP || '127.0.0.1';
  // The address browsers reach the SFU at is the one the relay sends to.
  const sfuIp = env.RTC_ANNOUNCED_IP || listenIp;
  const turnIp = listenIp === '0.0.0.0' || listenIp === '::' ? sfuIp : listenIp;
  fs.mkdirSync(turnDir, { recursive: true, mode: 0o700 });
  // Its log names client addresses: this run's only, not kept from one start to the next.
  const logFile = path.join(turnDir, 'turnserver.log');
  fs.rmSync(logFile, { force: true });
  say(`starting turnserver (coturn) on ${turnIp}:${port}, relaying only to ${sfuIp}`);
  let running: RunningCoturn;
  try {
    running = await runCoturn(
      { listenIp: turnIp, port, relayMinPort: 50_000, relayMaxPort: 50_999, secret, realm: 'consult.local', allowedPeerIps: [sfuIp], logFile, stateDir: turnDir },
      { detached: true }, // like redis: stopped by us, after the server, not by Ctrl-C to the process group
    );
  } catch (error) {
    throw new StartError(`${(error as Error).message}${/taken/.test((error as Error).message) ? '\n(set TURN_PORT, or TURN_URLS for a TURN server of your own)' : ''}`);
  }
  env.TURN_SECRET = secret;
  env.TURN_URLS = `turn:${turnIp}:${port}?transport=udp,turn:${turnIp}:${port}?transport=tcp`;
  return running;
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (server) {
    // A signal stops gracefully (calls get SHUTDOWN_GRACE_SECONDS to end); a failure closes at once.
    const graceful = code === 0;
    const grace = graceful ? server.services.config.SHUTDOWN_GRACE_SECONDS : 0;
    say(graceful ? `stopping the server (calls may go on for up to ${grace} s; Ctrl-C again to exit now)` : 'closing the server');
    const limit = grace + 10;
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), limit * 1000).unref());
    try {
      if ((await Promise.race([graceful ? server.stop() : server.close(), timeout])) === 'timeout') say(`the server did not close within ${limit} s; going on`);
    } catch (error) {
      say(`closing the server failed: ${(error as Error).message}`);
    }
  }
  if (redis) {
    say('stopping redis-server');
    await redis.stop();
  }
  if (turn) {
    say('stopping turnserver');
    await turn.stop();
  }
  logFiles?.close();
  process.exit(code);
}

// A signal to the whole process group (Ctrl-C, `kill -- -pgid`) reaches this process twice: directly and
// relayed by the tsx launcher. So only a repeat more than 2 s after the first counts as "again".
let firstSignalAt = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (firstSignalAt) {
      if (Date.now() - firstSignalAt < 2000) return;
      say(`${signal} again: exiting without waiting (redis-server finishes its own shutdown)`);
      process.exit(1); // the 'exit' handler below still asks redis-server to stop
    }
    firstSignalAt = Date.now();
    say(`${signal}: shutting down`);
    void shutdown(0);
  });
}
// Last resort: never leave our redis-server behind (it runs in its own process group).
process.on('exit', () => {
  if (redis && !redis.child.killed && redis.child.exitCode === null && redis.child.signalCode === null) redis.child.kill('SIGTERM');
  if (turn && turn.child.exitCode === null && turn.child.signalCode === null) turn.child.kill('SIGTERM');
});
const shutdownErrors = new Set<string>();
process.on('uncaughtException', (error) => {
  if (stopping) {
    // Late errors of connections being closed: one short line each, the shutdown goes on.
    if (!shutdownErrors.has(error.message)) say(`while shutting down: ${error.message}`);
    shutdownErrors.add(error.message);
    return;
  }
  say(`unexpected error: ${error.stack ?? error.message}`);
  void shutdown(1);
});

main().catch(async (error: unknown) => {
  say(error instanceof StartError ? `error: ${error.message}` : `error: ${(error as Error).stack ?? String(error)}`);
  await shutdown(1);
});
