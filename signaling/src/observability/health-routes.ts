import { Router } from 'express';
import type { Readiness } from './readiness.ts';

/** Where the probes are, for deployment files (container HEALTHCHECK, Kubernetes probes) to point at. */
export const PROBE_PATHS = { live: '/healthz', ready: '/readyz' } as const;

/**
 * Probes for load balancers and orchestrators, answered before any other middleware (nothing here reads
 * Redis but the readiness write itself). /healthz: the process answers (restart it if not). /readyz: it
 * can take visitors now (send none here if not; 503 with the failing part named).
 */
export function healthRoutes(readiness: Readiness): Router {
  const router = Router();
  router.get(PROBE_PATHS.live, (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ ok: true });
  });
  router.get(PROBE_PATHS.ready, async (_req, res) => {
    const report = await readiness.check();
    res.set('Cache-Control', 'no-store').status(report.ready ? 200 : 503).json(report);
  });
  return router;
}
