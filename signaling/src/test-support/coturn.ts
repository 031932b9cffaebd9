import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { coturnArgs } from '../../../infra/turn/coturn.ts';
import { freePort } from './free-port.ts';
import { TurnClient } from './turn-client.ts';

export interface TestCoturn {
  port: number;
  secret: string;
  realm: string;
  /** `turn:` URLs as the server hands them to browsers. */
  urls: string[];
  log(): string;
  stop(): Promise<void>;
}

/** A real coturn on loopback, configured as in production, relaying only to `allowedPeerIps`. */
export async function startCoturn(opts: { allowedPeerIps: string[] }): Promise<TestCoturn> {
  const port = await freePort();
  const relayMin = 50_000 + 500 * Math.floor(Math.random() * 20);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-coturn-'));
  const logFile = path.join(dir, 'turn.log');
  const secret = randomBytes(32).toString('hex');
  const realm = 'consult.test';
  const child = spawn(
    'turnserver',
    coturnArgs({ listenIp: '127.0.0.1', port, relayMinPort: relayMin, relayMaxPort: relayMin + 499, secret, realm, allowedPeerIps: opts.allowedPeerIps, logFile, stateDir: dir }),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '') + stderr;
  const probe = new TurnClient('127.0.0.1', port, '', '');
  try {
    for (let i = 0; !(await probe.ping()); i++) {
      if (child.exitCode !== null) throw new Error(`turnserver exited at start:\n${log()}`);
      if (i > 60) throw new Error(`turnserver did not answer within 20 s:\n${log()}`);
    }
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  } finally {
    probe.close();
  }
  return {
    port,
    secret,
    realm,
    urls: [`turn:127.0.0.1:${port}?transport=udp`, `turn:127.0.0.1:${port}?transport=tcp`],
    log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
