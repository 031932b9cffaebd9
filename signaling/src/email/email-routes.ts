import { Router } from 'express';
import { adminAccess } from '../admin/admin-access.ts';
import { organizationAdminRoutes, type EmailStatus } from '../../protocol/index.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { Services } from '../services.ts';

/** Admins see whether this server sends e-mail, and from which address (the settings page says it). To anyone else: 404. */
export function emailRoutes(s: Pick<Services, 'audit' | 'config' | 'email' | 'log' | 'organizations' | 'sessions' | 'waitingRoom'>): Router {
  const router = Router();
  const { admin } = adminAccess(s);
  typedRoutes(router, s).on(organizationAdminRoutes.email, ...admin, async (): Promise<EmailStatus> => ({
    available: s.email.available,
    from: s.email.available ? (s.config.SMTP_FROM ?? null) : null,
  }));
  return router;
}
