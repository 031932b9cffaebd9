import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { AddressRefused, type AddressGuard } from './address-guard.ts';

/** What one attempt came to: the endpoint's HTTP status, or why there was none. */
export interface AttemptOutcome {
  status: number | null;
  error: 'timeout' | 'refused' | 'forbidden_address' | 'dns' | 'error' | null;
  ms: number;
}

/** Read of an endpoint's answer at most (we need only its status; the rest is dropped). */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs a delivery: to the address the guard checked (never the name resolved again), without following
 * redirects (a 3xx is a failure like any non-2xx), within `timeoutMs` for the whole exchange, reading at
 * most 64 KB of the answer. Never throws.
 */
export async function postWebhook(guard: AddressGuard, url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<AttemptOutcome> {
  const started = Date.now();
  const done = (status: number | null, error: AttemptOutcome['error']): AttemptOutcome => ({ status, error, ms: Date.now() - started });
  const target = new URL(url);
  let address: string;
  try {
    address = await guard.addressFor(target.hostname);
  } catch (err) {
    return done(null, err instanceof AddressRefused ? err.reason : 'error');
  }
  const secure = target.protocol === 'https:';
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(outcome);
    };
    const request = (secure ? https : http).request({
      host: address,
      port: target.port || (secure ? 443 : 80),
      path: `${target.pathname}${target.search}`,
      method: 'POST',
      // The certificate is checked against the name in the URL, while the socket goes to the checked address.
      ...(secure && !isIP(host) ? { servername: host } : {}),
      headers: { ...headers, host: target.host, 'content-length': Buffer.byteLength(body) },
      // No pooled sockets: each attempt connects to the address checked for it.
      agent: false,
    });
    const timer = setTimeout(() => finish(done(null, 'timeout')), timeoutMs);
    request.on('response', (res) => {
      const status = res.statusCode ?? null;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        // The status is all we need; an endless answer is cut off, and counts by its status.
        if (read > MAX_ANSWER_BYTES) finish(done(status, null));
      });
      res.on('end', () => finish(done(status, null)));
      res.on('error', () => finish(done(status, null)));
    });
    request.on('error', (err: NodeJS.ErrnoException) => finish(done(null, err.code === 'ECONNREFUSED' ? 'refused' : 'error')));
    request.end(body);
  });
}
