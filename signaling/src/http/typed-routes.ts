import type { NextFunction, Request, Response, Router } from 'express';
import type { z } from 'zod';
import type { AnyRoute, ResponseOf, ServerInput } from '../../protocol/index.ts';
import { notFound } from '../errors.ts';
import type { Visitor } from '../waiting-room/waiting-room-store.ts';
import { parse } from './validate.ts';
import type { AuthedLocals } from './request-guards.ts';

/** Who called, as the route's caller says: the visitor of the bearer token, for a visitor's route. */
type CallerOf<R extends AnyRoute> = R['caller'] extends 'visitor' ? { visitor: Visitor } : {};

/** A member's route has their session in `res.locals`, put there by its guard (requireProfessional). */
type LocalsOf<R extends AnyRoute> = R['caller'] extends 'member' | 'admin' ? AuthedLocals : Record<string, unknown>;

export type RouteHandler<R extends AnyRoute> = (input: ServerInput<R> & CallerOf<R>, req: Request, res: Response<unknown, LocalsOf<R>>) => Promise<ResponseOf<R>>;

/**
 * A route whose path names something of the caller's organization looks it up first: `load` gets the parsed
 * params, and what it finds (never null) reaches the handler as `found`. A malformed id, a made-up one and
 * another organization's all answer 404 with `missing`, whatever the body holds: the id is what a caller
 * guesses, so a bad body must not tell them it exists.
 */
export interface Lookup<R extends AnyRoute, T> {
  load: (params: NonNullable<ServerInput<R>['params']>, res: Response<unknown, LocalsOf<R>>) => Promise<T | null | undefined>;
  missing?: string;
}
export type FoundHandler<R extends AnyRoute, T> = (input: ServerInput<R> & CallerOf<R> & { found: T }, req: Request, res: Response<unknown, LocalsOf<R>>) => Promise<ResponseOf<R>>;

// The guards' own type (requireProfessional's, among others) is Express's; `any` for the locals they set.
type Guard = (req: Request, res: Response<unknown, any>, next: NextFunction) => unknown;

interface Deps {
  waitingRoom: { authenticate(token: unknown): Promise<Visitor | null> };
}

/**
 * Registers routes of the shared table (protocol/routes.ts) on `router`: the caller is checked first (a
 * visitor's route without a good token is unknown: 404), then the params, query and body are parsed with
 * the route's schemas, once; the handler's answer goes out with the route's status.
 */
export function typedRoutes(router: Router, deps: Deps) {
  return {
    on<R extends AnyRoute>(route: R, ...chain: [...guards: Guard[], handler: RouteHandler<R>]): void {
      const handler = chain.pop() as RouteHandler<R>;
      register(router, deps, route, chain as Guard[], undefined, handler);
    },
    /** `on`, with the path's thing looked up (see Lookup) before the body is parsed. */
    found<R extends AnyRoute, T>(route: R, ...chain: [...guards: Guard[], lookup: Lookup<R, T>, handler: FoundHandler<R, T>]): void {
      const handler = chain.pop() as FoundHandler<R, T>;
      const lookup = chain.pop() as Lookup<R, T>;
      register(router, deps, route, chain as Guard[], lookup, handler as RouteHandler<R>);
    },
  };
}

function register<R extends AnyRoute>(router: Router, deps: Deps, route: R, guards: Guard[], lookup: Lookup<R, unknown> | undefined, handler: RouteHandler<R>): void {
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  router[method](route.path, ...guards, async (req: Request, res: Response<unknown, LocalsOf<R>>) => {
    const caller = route.caller === 'visitor' ? { visitor: await visitorOf(deps, req) } : {};
    const found = lookup ? { found: await lookedUp(route, lookup, req, res) } : {};
    const input = {
      params: parsed(route, route.params, req.params),
      query: parsed(route, route.query, req.query),
      body: parsed(route, route.body, req.body),
      ...caller,
      ...found,
    } as ServerInput<R> & CallerOf<R>;
    const answer = await handler(input, req, res);
    if (res.headersSent) return;
    if (route.status === 204 || route.status === 202) res.status(route.status).end();
    else res.status(route.status ?? 200).json(answer);
  });
}

async function lookedUp<R extends AnyRoute>(route: R, lookup: Lookup<R, unknown>, req: Request, res: Response<unknown, LocalsOf<R>>): Promise<unknown> {
  const params = route.params?.safeParse(req.params);
  if (params && !params.success) throw notFound(lookup.missing);
  const found = await lookup.load((params?.data ?? {}) as NonNullable<ServerInput<R>['params']>, res);
  if (found === null || found === undefined) throw notFound(lookup.missing);
  return found;
}

function parsed(route: AnyRoute, schema: z.ZodType | undefined, value: unknown): unknown {
  if (!schema) return undefined;
  if (route.invalid !== 'unknown') return parse(schema, value);
  const result = schema.safeParse(value);
  return result.success ? result.data : null;
}

/** The visitor of `Authorization: Bearer <visitor token>`; anything else is as unknown as a wrong token. */
async function visitorOf(deps: Deps, req: Request): Promise<Visitor> {
  const token = /^Bearer (\S{1,200})$/.exec(req.headers.authorization ?? '')?.[1];
  const visitor = token ? await deps.waitingRoom.authenticate(token) : null;
  if (!visitor) throw notFound();
  return visitor;
}
