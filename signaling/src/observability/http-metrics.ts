import type { Request, RequestHandler } from 'express';
import type { Histogram } from 'prom-client';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Times every request by the pattern of the route that answered it (`/api/rooms/:slug`), never by its
 * path: paths carry ids, and old consultation links a secret. Requests no route answered (static assets,
 * unknown addresses) share one label, so a scan of random paths cannot grow the series either.
 */
export function timeHttpRequests(histogram: Histogram<'method' | 'route' | 'status'>): RequestHandler {
  return (req, res, next) => {
    const end = histogram.startTimer();
    res.once('close', () => end({ method: METHODS.has(req.method) ? req.method : 'other', route: routePattern(req), status: String(res.statusCode) }));
    next();
  };
}

function routePattern(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return `${req.baseUrl}${path}`;
  if (Array.isArray(path) && path.every((p) => typeof p === 'string')) return path.map((p) => `${req.baseUrl}${p}`).join(' | ');
  return '(no route)';
}
