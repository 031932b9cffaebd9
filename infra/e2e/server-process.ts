import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/**
 * A signaling server in a child process on a fixed port and a given Redis, which a test can kill -9 and
 * start again: the browsers reconnect to the same address.
 */
export class ServerProcess {
  private child?: ChildProcess;
  readonly logs: string[] = [];

  private constructor(
    readonly url: string,
    private readonly env: Record<string, string>,
  ) {}

  /** `env`: settings the child must share with whoever else reads the data (its keys, to read what they wrote). */
  static async start(redisUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
    const port = await freePort();
    const rtcMin = 50_000 + 1000 * Math.floor(Math.random() * 9);
    const url = `http://127.0.0.1:${port}`;
    const server = new ServerProcess(url, {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_ORIGIN: url,
      REDIS_URL: redisUrl,
      ADDRESS_HASH_KEY: randomBytes(32).toString('hex'),
      DATA_ENCRYPTION_KEYS: `t1:${randomBytes(32).toString('base64')}`,
      MEDIA_WORKERS: '1',
      RTC_MIN_PORT: String(rtcMin),
      RTC_MAX_PORT: String(rtcMin + 999),
      LOG_LEVEL: 'info',
      ...env,
    });
    await server.run();
    return server;
  }

  /** Starts the process and resolves once it listens. */
  async run(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('../test-support/server-process.ts', import.meta.url).pathname], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => this.logs.push(d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${this.logs.join('').slice(-2000)}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code}): ${this.logs.join('').slice(-2000)}`));
      });
    });
  }

  /** SIGKILL: no cleanup, no goodbye to any socket; its mediasoup worker goes with it. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Sends a signal (SIGTERM: the graceful stop) and resolves with the exit code once the process is gone. */
  async signal(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    return exited;
  }

  async stop(): Promise<void> {
    await this.kill9();
  }
}
