import type { AnyRoute, ClientInput, ErrorBody, ErrorDetails, Me, ResponseOf } from '../../signaling/protocol/index.ts';
import { callRoute } from '../../client/src/http/call-route.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly details: ErrorDetails = {},
  ) {
    super(code);
  }
}

let csrfToken = '';

/** Remembers the CSRF token of a login's answer (`Me`, or one that holds it). */
function keepCsrfToken(result: unknown): void {
  if (result && typeof result === 'object' && 'csrfToken' in result) csrfToken = (result as Me).csrfToken;
}

/**
 * Calls a route of the shared table (signaling/protocol/routes.ts) with the session cookie and, for a
 * state-changing one, the CSRF token; its answer typed as the table says, a refusal thrown as ApiError.
 */
export async function fetchRoute<R extends AnyRoute>(route: R, input: ClientInput<R>): Promise<ResponseOf<R>> {
  const res = await callRoute(route, input, route.method === 'GET' ? {} : { headers: { 'x-csrf-token': csrfToken } });
  if (!res.ok) throw new ApiError(res.status, res.error?.code ?? 'internal', res.error?.details);
  keepCsrfToken(res.data);
  return res.data;
}

/** JSON over fetch with the session cookie; state-changing requests carry the CSRF token. */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (!res.ok) {
    const error = (await res.json().catch(() => null)) as { error?: ErrorBody } | null;
    throw new ApiError(res.status, error?.error?.code ?? 'internal', error?.error?.details);
  }
  const result = res.status === 204 ? undefined : await res.json();
  keepCsrfToken(result);
  return result as T;
}
