import { Router } from 'express';
import type { Services } from '../services.ts';

export function mediaRoutes(s: Pick<Services, 'media'>): Router {
  const router = Router();
  // The SFU's codec capabilities: the same for every call and every visitor, so they reveal nothing about
  // any call. Loading them while the visitor waits takes a round trip off the admission.
  router.get('/api/media/capabilities', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(s.media.rtpCapabilities);
  });
  return router;
}
