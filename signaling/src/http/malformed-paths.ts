import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.ts';
import type { Config } from '../config.ts';

/**
 * A path with broken percent-encoding (`/r/%`, `/c/%zz`) cannot be a link we gave out. The router would
 * fail to decode its parameters and answer 500 with an error in the log, for anyone who types one. It is
 * answered here, before any route: the API says bad request, a page is the visitor app's "this link is
 * not valid" (it cannot decode the path either and says so), and nothing is logged.
 */
export function refuseMalformedPaths(config: Config) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.path.includes('%') || decodes(req.path)) return next();
    if (req.path.startsWith('/api/')) return next(new AppError('bad_request', 'this address is not valid'));
    res.status(404).set('Referrer-Policy', 'no-referrer').sendFile(path.join(config.CLIENT_DIST, 'index.html'));
  };
}

function decodes(value: string): boolean {
  try {
    decodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}
