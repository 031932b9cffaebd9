import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';

export interface TestRedis {
  url: string;
  port: number;
  /** Where this Redis keeps its files (AOF, dump.rdb), for tests that read them. */
  dir: string;
  client: Redis;
  stop(): Promise<void>;
}

/** A real redis-server on a free port, in a temp dir, configured like production (password, noeviction, AOF). */
export async function startRedis(opts: { extraArgs?: string[] } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-redis-'));
  const password = `test-${Math.random().toString(36).slice(2)}`;
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--requirepass', password, '--maxmemory-policy', 'noeviction',
      '--appendonly', 'yes', '--save', '', '--daemonize', 'no', ...(opts.extraArgs ?? [])],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `redis://:${password}@127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 1 });
  client.on('error', () => {}); // refused connections while the server starts are expected
  for (let i = 0; ; i++) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      if (i > 100) throw error;
      client.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port,
    dir,
    client,
    async stop() {
      client.disconnect();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
