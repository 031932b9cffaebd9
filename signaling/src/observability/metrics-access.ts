import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Router, type RequestHandler } from 'express';
import { ErrorCode } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { errorHandler } from '../http/error-handler.ts';
import type { Logger } from '../logger.ts';
import { sameSecret } from '../ids.ts';
import type { Metrics } from './metrics.ts';

/**
 * GET /metrics: the exposition, to the holder of METRICS_TOKEN (`Authorization: Bearer <token>`) when one is
 * set. A missing or wrong token is 401 either way, and the comparison takes the same time for any guess.
 */
export function metricsHandler(metrics: Metrics, token: string | undefined): RequestHandler {
  return async (req, res, next) => {
    if (token !== undefined) {
      const given = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];
      if (!sameSecret(given, token)) {
        res.set('WWW-Authenticate', 'Bearer realm="metrics"');
        return next(new AppError(ErrorCode.unauthorized, 'the metrics need the bearer token (METRICS_TOKEN)'));
      }
    }
    try {
      const { contentType, body } = await metrics.exposition();
      res.set('Cache-Control', 'no-store').type(contentType).send(body);
    } catch (error) {
      next(error);
    }
  };
}

/** /metrics on the service's own port: only with a token, and only when the metrics have no port of their own. */
export function metricsRoute(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  if (token !== undefined) router.get('/metrics', metricsHandler(metrics, token));
  return router;
}

/**
 * The metrics on a port of their own (METRICS_PORT), for a network only Prometheus reaches; with
 * METRICS_TOKEN set, the token is asked there too. Nothing else is served on it.
 */
export async function startMetricsServer(
  metrics: Metrics,
  log: Logger,
  opts: { host: string; port: number; token: string | undefined },
): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(metrics, opts.token));
  app.use((_req, _res, next) => next(notFound()));
  app.use(errorHandler(log));
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
