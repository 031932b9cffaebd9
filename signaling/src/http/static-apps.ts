import path from 'node:path';
import express, { Router } from 'express';
import type { Config } from '../config.ts';
import { PAY_FRAME_PATH } from '../../protocol/index.ts';

/** The built front-ends: the visitor app's assets under /v, the dashboard (a single-page app) under /dashboard. */
export function staticApps(config: Config): Router {
  const router = Router();
  const immutable = { index: false, immutable: true, maxAge: '365d' } as const;
  router.use('/v/assets', express.static(path.join(config.CLIENT_DIST, 'assets'), immutable));
  router.use('/dashboard/assets', express.static(path.join(config.DASHBOARD_DIST, 'assets'), immutable));
  router.get('/', (_req, res) => res.redirect('/dashboard/'));
  // The device and network check on its own, for anyone (the visitor app shows it at this path).
  router.get('/check', (_req, res) => res.sendFile(path.join(config.CLIENT_DIST, 'index.html')));
  // The payment step's frame, under the visit's link (the only page whose CSP allows Stripe). Back from a
  // bank's redirect its address carries the PaymentIntent's client secret: the page removes it at once,
  // nothing here logs addresses, and it is neither cached nor sent on as a referrer.
  router.get([`/r/:slug/${PAY_FRAME_PATH}`, `/c/:page/${PAY_FRAME_PATH}`], (_req, res) => {
    res.set('Cache-Control', 'no-store').sendFile(path.join(config.CLIENT_DIST, 'pay.html'));
  });
  router.get(['/dashboard', '/dashboard/{*rest}'], (_req, res) => {
    res.sendFile(path.join(config.DASHBOARD_DIST, 'index.html'));
  });
  return router;
}
