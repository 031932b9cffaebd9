import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCoturn } from '../../../infra/turn/coturn.ts';
import { freePort } from './free-port.ts';

export interface TestCoturn {
  port: number;
  secret: string;
  realm: string;
  /** `turn:` URLs as the server hands them to browsers. */
  urls: string[];
  /** With `tls`: the `turns:` port and the self-signed certificate (PEM) a client checks it against. */
  tls?: { port: number; cert: string };
  log(): string;
  stop(): Promise<void>;
}

/** A real coturn on loopback, configured as in production, relaying only to `allowedPeerIps`. */
export async function startCoturn(opts: { allowedPeerIps: string[]; tls?: boolean }): Promise<TestCoturn> {
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : 0;
  const relayMin = 50_000 + 500 * Math.floor(Math.random() * 20);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-coturn-'));
  const secret = randomBytes(32).toString('hex');
  const realm = 'consult.test';
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (opts.tls) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=turn.test',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  }
  const turn = await runCoturn({
    listenIp: '127.0.0.1',
    port,
    relayMinPort: relayMin,
    relayMaxPort: relayMin + 499,
    secret,
    realm,
    allowedPeerIps: opts.allowedPeerIps,
    logFile: path.join(dir, 'turn.log'),
    ...(opts.tls ? { tls: { port: tlsPort, certFile, keyFile } } : {}),
    stateDir: dir,
  }).catch((error: unknown) => {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    port,
    secret,
    realm,
    urls: [`turn:127.0.0.1:${port}?transport=udp`, `turn:127.0.0.1:${port}?transport=tcp`, ...(opts.tls ? [`turns:127.0.0.1:${tlsPort}?transport=tcp`] : [])],
    ...(opts.tls ? { tls: { port: tlsPort, cert: fs.readFileSync(certFile, 'utf8') } } : {}),
    log: turn.log,
    async stop() {
      await turn.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
