import { Router, type Response } from 'express';
import { adminAccess } from '../admin/admin-access.ts';
import type { EmailStatus } from '../../protocol/index.ts';
import type { AuthedLocals } from '../http/request-guards.ts';
import type { Services } from '../services.ts';

/** Admins see whether this server sends e-mail, and from which address (the settings page says it). To anyone else: 404. */
export function emailRoutes(s: Services): Router {
  const router = Router();
  const { admin } = adminAccess(s);
  router.get('/api/admin/email', ...admin, (_req, res: Response<unknown, AuthedLocals>) => {
    const body: EmailStatus = { available: s.email.available, from: s.email.available ? (s.config.SMTP_FROM ?? null) : null };
    res.json(body);
  });
  return router;
}
