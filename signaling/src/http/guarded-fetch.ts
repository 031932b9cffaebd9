import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { AddressGuard } from '../webhooks/address-guard.ts';

/** Read of an answer at most: discovery documents, key sets and token answers are a few kilobytes. */
const MAX_ANSWER_BYTES = 512 * 1024;
const NO_BODY = new Set([101, 204, 205, 304]);

/** Any reason a guarded fetch did not reach its address: one kind of error, so callers cannot tell them apart. */
export class FetchRefused extends Error {
  constructor() {
    super('the address could not be fetched');
  }
}

/**
 * A `fetch` for addresses an organization's admin typed (their BankID broker): it connects only to an
 * address the guard allows (see AddressGuard: no private, loopback, link-local or metadata addresses unless
 * the config lists the range), and to exactly the address it checked, never following a redirect. Whatever
 * goes wrong (refused address, DNS, connection, timeout, oversized answer) is one FetchRefused.
 */
export interface GuardedFetchInit {
  method?: string;
  headers?: HeadersInit;
  body?: string | URLSearchParams | Uint8Array | ArrayBuffer | ReadableStream | null;
  signal?: AbortSignal | null;
  /** Never followed, whatever is asked: a 3xx is handed back as it is. */
  redirect?: string;
}

export function guardedFetch(guard: AddressGuard): (url: string, init?: GuardedFetchInit) => Promise<Response> {
  return async (url, init = {}) => {
    const target = new URL(url);
    if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new FetchRefused();
    const address = await guard.addressFor(target.hostname).catch(() => {
      throw new FetchRefused();
    });
    const secure = target.protocol === 'https:';
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    let body: string | Buffer | undefined;
    if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    } else if (typeof init.body === 'string') body = init.body;
    else if (init.body instanceof Uint8Array) body = Buffer.from(init.body);
    else if (init.body instanceof ArrayBuffer) body = Buffer.from(init.body);
    else if (init.body instanceof ReadableStream) body = Buffer.from(await new Response(init.body).arrayBuffer());
    else if (init.body != null) throw new FetchRefused();
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));

    return new Promise<Response>((resolve, reject) => {
      const fail = () => {
        request.destroy();
        reject(new FetchRefused());
      };
      const request = (secure ? https : http).request({
        host: address,
        port: target.port || (secure ? 443 : 80),
        path: `${target.pathname}${target.search}`,
        method: init.method ?? 'GET',
        // The certificate is checked against the name in the URL, while the socket goes to the checked address.
        ...(secure && !isIP(host) ? { servername: host } : {}),
        headers: { ...headers, host: target.host },
        // No pooled sockets: each request connects to the address checked for it.
        agent: false,
        ...(init.signal ? { signal: init.signal } : {}),
      });
      request.on('error', fail);
      request.on('response', (res) => {
        const chunks: Buffer[] = [];
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) return fail();
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 599) return fail();
          const answerHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) answerHeaders.append(name, v);
          }
          resolve(new Response(NO_BODY.has(status) ? null : new Uint8Array(Buffer.concat(chunks)), { status, headers: answerHeaders }));
        });
      });
      request.end(body);
    });
  };
}
