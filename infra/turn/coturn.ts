import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { TurnClient } from './turn-client.ts';

/**
 * How we run coturn, Debian's TURN server, as command-line options (coturn reads every config-file option
 * as `--option`). `npm start` and the tests use this; infra/turn/turnserver.conf is the same for production.
 */
export interface CoturnOptions {
  /** Address coturn listens on and relays from. */
  listenIp: string;
  /** `turn:` over UDP and TCP. */
  port: number;
  /** UDP ports coturn relays from (one per allocation). */
  relayMinPort: number;
  relayMaxPort: number;
  /** Shared with the signaling server (TURN_SECRET): credentials are HMACs over an expiry under it. */
  secret: string;
  realm: string;
  /** The only addresses media may be relayed to: the SFU's. Everything else is refused. */
  allowedPeerIps: string[];
  /** `turns:` over TLS; off (no-tls) without it. */
  tls?: { port: number; certFile: string; keyFile: string };
  logFile?: string;
  /** Where its pid file and (unused, but always opened) user database go, so several can run on one host. */
  stateDir: string;
}

/**
 * Every peer address is denied first and only the SFU's are allowed back (allowed-peer-ip takes precedence
 * over denied-peer-ip), so a credential cannot be used to reach private ranges or the host's other services.
 * TCP relays are off: the SFU takes UDP from the relay, and no TCP service anywhere is reachable through it.
 */
export function coturnArgs(o: CoturnOptions): string[] {
  const loopbackSfu = o.allowedPeerIps.some((ip) => ip.startsWith('127.') || ip === '::1');
  return [
    '-n', // no configuration file: only what is here
    `--listening-ip=${o.listenIp}`,
    `--relay-ip=${o.listenIp}`,
    `--listening-port=${o.port}`,
    `--min-port=${o.relayMinPort}`,
    `--max-port=${o.relayMaxPort}`,
    '--fingerprint',
    '--use-auth-secret',
    `--static-auth-secret=${o.secret}`,
    `--realm=${o.realm}`,
    '--no-tcp-relay',
    '--no-multicast-peers',
    '--no-cli',
    `--pidfile=${o.stateDir}/turnserver.pid`,
    `--userdb=${o.stateDir}/turndb`,
    '--no-dtls',
    ...(o.tls ? [`--tls-listening-port=${o.tls.port}`, `--cert=${o.tls.certFile}`, `--pkey=${o.tls.keyFile}`, '--no-tlsv1', '--no-tlsv1_1'] : ['--no-tls']),
    '--denied-peer-ip=0.0.0.0-255.255.255.255',
    '--denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ...o.allowedPeerIps.map((ip) => `--allowed-peer-ip=${ip}`),
    // An SFU on loopback (a single machine, the tests) is reachable only with this; the denials above still apply.
    ...(loopbackSfu ? ['--allow-loopback-peers'] : []),
    ...(o.logFile ? [`--log-file=${o.logFile}`, '--simple-log', '--no-stdout-log'] : ['--log-file=stdout']),
  ];
}

export interface RunningCoturn {
  child: ChildProcess;
  /** What coturn wrote, for error messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts `turnserver` and waits until it answers a STUN binding request on its port. A port another TURN
 * server holds answers too, so coturn's own "cannot bind" in its log counts as a failure.
 */
export async function runCoturn(o: CoturnOptions & { logFile: string }, spawnOptions: SpawnOptions = {}): Promise<RunningCoturn> {
  const child = spawn('turnserver', coturnArgs(o), { stdio: ['ignore', 'ignore', 'pipe'], ...spawnOptions });
  let stderr = '';
  let spawnError: Error | null = null;
  child.on('error', (error) => (spawnError = error));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const log = () => (fs.existsSync(o.logFile) ? fs.readFileSync(o.logFile, 'utf8') : '') + stderr;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  const probe = new TurnClient(o.listenIp, o.port, '', '');
  try {
    for (let i = 0; ; i++) {
      if (spawnError) {
        const code = (spawnError as NodeJS.ErrnoException).code;
        throw new Error(code === 'ENOENT' ? 'turnserver is not installed (Debian package coturn): run infra/setup.sh' : `cannot run turnserver: ${(spawnError as Error).message}`);
      }
      if (child.exitCode !== null) throw new Error(`turnserver exited at start (${child.exitCode}); its log:\n${log().slice(-2000)}`);
      if (await probe.ping()) break;
      if (i > 60) throw new Error(`turnserver did not answer on ${o.listenIp}:${o.port} within 20 s; its log:\n${log().slice(-2000)}`);
    }
    if (/cannot bind|Address already in use/i.test(log())) throw new Error(`port ${o.port} on ${o.listenIp} is taken (another TURN server?); its log:\n${log().slice(-2000)}`);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.close();
  }
  return { child, log, stop };
}
