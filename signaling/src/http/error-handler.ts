import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** Every error leaves as `{error: {code, message}}` with the code's status; crashes say nothing more. */
export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let error: AppError;
    if (err instanceof AppError) error = err;
    // (Paths with broken percent-encoding are answered before any route: see malformed-paths.ts. This is
    // the router's own refusal to decode one, should a path reach it.)
    else if (err instanceof URIError) error = new AppError('bad_request', 'this address is not valid');
    else if (isBodyError(err)) error = new AppError('bad_request', err.type === 'entity.too.large' ? 'payload too large' : 'malformed JSON');
    else {
      // The route's pattern, not the path: an old-form consultation link (still opened) has its secret in the path.
      log.error({ err, method: req.method, route: (req.route as { path?: string } | undefined)?.path ?? '(no route)' }, 'request failed');
      error = new AppError('internal', 'something went wrong on our side');
    }
    if (res.headersSent) return;
    res.status(error.status).json({ error: error.toBody() });
  };
}

function isBodyError(err: unknown): err is { type: string } {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string' && 'status' in err;
}
