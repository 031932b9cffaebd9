import { pathOf, type AnyRoute, type ClientInput, type ErrorBody, type ResponseOf } from '../../../signaling/protocol/index.ts';

/** A route's answer: its typed body on success, else the status and the error body (null if there was none). */
export type RouteAnswer<R extends AnyRoute> =
  | { ok: true; status: number; data: ResponseOf<R> }
  | { ok: false; status: number; error: ErrorBody | null };

export interface CallOptions {
  /** A visitor's token, for the routes of a visitor (sent as `Authorization: Bearer`). */
  visitorToken?: string;
  /** Extra headers (the dashboard's CSRF token). */
  headers?: Record<string, string>;
  /** The server, for a caller outside its pages (a test); a page calls its own origin. */
  origin?: string;
}

/**
 * Calls one route of the shared table (signaling/protocol/routes.ts): its method and path, the params,
 * body and query it declares, and its answer typed as the table says. A network failure rejects, as
 * fetch does; an error answer does not.
 */
export async function callRoute<R extends AnyRoute>(route: R, input: ClientInput<R>, options: CallOptions = {}): Promise<RouteAnswer<R>> {
  const given = input as { params?: Record<string, string>; body?: unknown; query?: Record<string, string | undefined> };
  // Fields left out (undefined) are not sent at all.
  const fields = Object.entries(given.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
  const query = fields.length ? `?${new URLSearchParams(fields)}` : '';
  const headers: Record<string, string> = { ...options.headers };
  if (options.visitorToken) headers.authorization = `Bearer ${options.visitorToken}`;
  let body: string | undefined;
  if (route.method !== 'GET') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(given.body ?? {});
  }
  const res = await fetch((options.origin ?? '') + pathOf(route.path, given.params) + query, { method: route.method, headers, body, credentials: 'same-origin' });
  if (!res.ok) return { ok: false, status: res.status, error: ((await res.json().catch(() => null)) as { error?: ErrorBody } | null)?.error ?? null };
  // 204, and a 202 that only says the work goes on, have no body.
  const text = await res.text();
  const data = (text ? JSON.parse(text) : undefined) as ResponseOf<R>;
  return { ok: true, status: res.status, data };
}
