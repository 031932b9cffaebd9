import type { ErrorBody, ErrorDetails, Me } from '../../signaling/protocol/index.ts';

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
  if (result && typeof result === 'object' && 'csrfToken' in result) csrfToken = (result as Me).csrfToken;
  return result as T;
}
