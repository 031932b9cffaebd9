import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { AppError } from '../errors.ts';
import { parse } from '../http/validate.ts';
import { keys } from '../redis/keys.ts';
import { retentionMsOf, type Organization } from '../organizations/organization-store.ts';
import type { Services } from '../services.ts';
import type { ApiCaller } from './api-key-store.ts';

/** What the auth middleware leaves for a v1 route: the key's organization (scoping every call) and the key. */
export interface ApiLocals {
  caller: ApiCaller;
  organization: Organization;
  /** The organization's retention period in ms. */
  retentionMs: number;
}
export type ApiResponse = Response<unknown, ApiLocals>;

/** What a route's handler gets: the parsed path, query and body (checked by the route's own schemas). */
export interface ApiContext<P, Q, B> {
  s: Services;
  req: Request;
  res: ApiResponse;
  caller: ApiCaller;
  organization: Organization;
  retentionMs: number;
  params: P;
  query: Q;
  body: B;
}

export interface ApiResponseSpec {
  status: number;
  description: string;
  schema?: z.ZodType;
}

/**
 * One v1 operation: its path (Express style, `:id`), the schemas that check its input, what it answers,
 * and its handler. The router and the OpenAPI document are both made from a list of these, so every route
 * is documented with exactly the schemas that check it.
 */
export interface ApiRoute<P = any, Q = any, B = any> {
  method: 'get' | 'post' | 'delete' | 'put' | 'patch';
  path: `/api/v1/${string}`;
  operationId: string;
  summary: string;
  description?: string;
  /** Path parameters by name (a strictObject of them). */
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  responses: ApiResponseSpec[];
  /** The error statuses it may answer besides the ones every route may (401, 429, 500). */
  errors: number[];
  handler: (ctx: ApiContext<P, Q, B>) => Promise<{ status: number; body?: unknown }>;
}

/** Keeps a route's types (params, query, body) tied to its schemas. */
export const apiRoute = <P, Q, B>(route: ApiRoute<P, Q, B>): ApiRoute<P, Q, B> => route;

const UNAUTHORIZED = 'a valid API key is required: Authorization: Bearer <key>';

/**
 * Bearer authentication with an organization's API key, then the key's rate limit; failed attempts are
 * limited per client address (429 past API_FAILED_AUTH_PER_ADDRESS_PER_MINUTE). Never a cookie: v1
 * is for servers, and a browser's session must not be able to make these calls for it (no CSRF path).
 * A missing, malformed, unknown or revoked key, or one of a closed organization, gets the very same
 * 401. Exported so another v1 route (mounted elsewhere) can use the same guard.
 */
export function apiAuth(s: Pick<Services, 'apiKeys' | 'config' | 'organizations' | 'rateLimiter' | 'redis'>): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const token = /^Bearer ([^\s]{1,300})$/.exec(req.headers.authorization ?? '')?.[1];
      const caller = await s.apiKeys.authenticate(token);
      const [organization, deletedAt] = caller
        ? await Promise.all([s.organizations.getOrganization(caller.orgId), s.redis.hget(keys.organization(caller.orgId), 'deletedAt')])
        : [null, null];
      if (!caller || !organization || deletedAt) {
        // Failures are counted per client address (by the TRUST_PROXY rule, as req.ip; IPv6 by its /64), against key
        // guessing. Only failures are limited: a valid key from the same address still works, so a clinic's
        // EHR behind a shared NAT is not locked out by someone else's wrong guesses there.
        const perMinute = s.config.API_FAILED_AUTH_PER_ADDRESS_PER_MINUTE;
        const failures = await s.rateLimiter.attempt('api-auth-failed', { address: req.ip }, perMinute, 60_000);
        if (!failures.allowed) {
          res.set('Retry-After', String(failures.retryAfterSeconds));
          return next(new AppError('rate_limited', `at most ${perMinute} failed authentications a minute per client address`));
        }
        res.set('WWW-Authenticate', 'Bearer realm="consult api v1"');
        return next(new AppError('unauthorized', UNAUTHORIZED));
      }
      const limit = await s.rateLimiter.attempt('api-key', caller.keyId, s.config.API_RATE_LIMIT_PER_MINUTE, 60_000);
      if (!limit.allowed) {
        res.set('Retry-After', String(limit.retryAfterSeconds));
        return next(new AppError('rate_limited', `at most ${s.config.API_RATE_LIMIT_PER_MINUTE} calls a minute per API key`));
      }
      res.locals.caller = caller;
      res.locals.organization = organization;
      res.locals.retentionMs = retentionMsOf(organization) || 86_400_000;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** Every v1 error leaves as `{error: {code, message}}` (the app's error handler does the same; this keeps v1 self-contained). */
export function apiErrors(s: Pick<Services, 'log'>) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let error: AppError;
    if (err instanceof AppError) error = err;
    else {
      s.log.error({ err, method: req.method, route: (req.route as { path?: string } | undefined)?.path ?? '(no route)' }, 'api request failed');
      error = new AppError('internal', 'something went wrong on our side');
    }
    if (res.headersSent) return;
    res.status(error.status).json({ error: error.toBody() });
  };
}

/**
 * The v1 router: the public description (openapi.json, docs), then each route behind apiAuth, answering
 * JSON; an unknown v1 path is a JSON 404. Mount it before the dashboard's same-origin guard on /api:
 * servers send no Origin, and bearer authentication needs no CSRF protection.
 */
export function apiV1Router(s: Services, routes: ApiRoute[], describe: RequestHandler[]): Router {
  const router = Router();
  for (const handler of describe) router.use(handler);
  const auth = apiAuth(s);
  for (const route of routes) {
    router[route.method](route.path, auth, async (req: Request, res: ApiResponse) => {
      const params = route.params ? parse(route.params, req.params) : {};
      const query = route.query ? parse(route.query, { ...(req.query as Record<string, unknown>) }) : {};
      const body = route.body ? parse(route.body, req.body ?? {}) : undefined;
      const { caller, organization, retentionMs } = res.locals;
      const answer = await route.handler({ s, req, res, caller, organization, retentionMs, params, query, body });
      if (answer.body === undefined) res.status(answer.status).end();
      else res.status(answer.status).json(answer.body);
    });
  }
  router.use('/api/v1', (_req, _res, next) => next(new AppError('not_found', 'no such endpoint')));
  router.use('/api/v1', apiErrors(s));
  return router;
}
