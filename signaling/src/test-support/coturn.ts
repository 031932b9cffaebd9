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
  log(): string;
  stop(): Promise<void>;
}

/** A real coturn on loopback, configured as in production, relaying only to `allowedPeerIps`. */
export async function startCoturn(opts: { allowedPeerIps: string[] }): Promise<TestCoturn> {
  const port = await freePort();
  const relayMin = 50_000 + 500 * Math.floor(Math.random() * 20);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-coturn-'));
  const secret = randomBytes(32).toString('hex');
  const realm = 'consult.test';
  const turn = await runCoturn({
    listenIp: '127.0.0.1',
    port,
    relayMinPort: relayMin,
    relayMaxPort: relayMin + 499,
    secret,
    realm,
    allowedPeerIps: opts.allowedPeerIps,
    logFile: path.join(dir, 'turn.log'),
    stateDir: dir,
  }).catch((error: unknown) => {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    port,
    secret,
    realm,
    urls: [`turn:127.0.0.1:${port}?transport=udp`, `turn:127.0.0.1:${port}?transport=tcp`],
    log: turn.log,
    async stop() {
      await turn.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
