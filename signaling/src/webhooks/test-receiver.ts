import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got: the raw body as sent, its signature header, the parsed event. */
export interface Received {
  rawBody: string;
  signature: string;
  event: { id: string; type: string; organizationId: string; time: string; [k: string]: unknown };
  /** Answer a held request (answer: 'hold'). */
  answer(status: number): void;
}

/** What to answer a request: a status, or 'hold' (no answer until the test says so). */
export type Behaviour = (r: Omit<Received, 'answer'>, nth: number) => number | 'hold';

/**
 * An EHR's webhook endpoint for tests: a plain node:http server on 127.0.0.1 that keeps every request and
 * answers as the test says. `listen` on a given port brings a receiver back "up" at the same address.
 */
export class TestReceiver {
  readonly received: Received[] = [];
  behaviour: Behaviour = () => 200;
  private server?: http.Server;
  private readonly waiters = new Set<() => void>();
  private readonly held = new Set<http.ServerResponse>();

  static async start(port = 0): Promise<TestReceiver> {
    const r = new TestReceiver();
    await r.listen(port);
    return r;
  }

  port = 0;
  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async listen(port = this.port): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const base = { rawBody, signature: String(req.headers['consult-signature'] ?? ''), event: JSON.parse(rawBody) };
        const decided = this.behaviour(base, this.received.length + 1);
        const answer = (status: number) => {
          this.held.delete(res);
          if (!res.writableEnded) res.writeHead(status).end();
        };
        this.received.push({ ...base, answer });
        if (decided === 'hold') this.held.add(res);
        else answer(decided);
        for (const w of [...this.waiters]) w();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Resolves once `predicate` holds of what was received (checked at each request). */
  waitFor(predicate: (received: Received[]) => boolean, what = 'requests', timeoutMs = 20_000): Promise<void> {
    if (predicate(this.received)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`receiver: no ${what} within ${timeoutMs} ms (got ${this.received.map((r) => r.event.type).join(', ') || 'nothing'})`));
      }, timeoutMs);
      const check = () => {
        if (!predicate(this.received)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** Down: the port refuses connections (held requests are cut). */
  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.held.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
