import { Router } from 'express';
import type { Services } from '../services.ts';

/**
 * Whether a load balancer may send this process new visitors. Kept minimal here: false from the first
 * SIGTERM on (see graceful-stop.ts); checks of Redis and the media workers belong beside this flag.
 */
export function readinessRoutes(s: Services): Router {
  const router = Router();
  router.get('/readyz', (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    if (s.lifecycle.shuttingDown) res.status(503).json({ ready: false, reason: 'shutting_down' });
    else res.json({ ready: true });
  });
  return router;
}
