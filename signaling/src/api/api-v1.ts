import type { Router } from 'express';
import type { SmsSender } from '../alerts/sms-sender.ts';
import type { Services } from '../services.ts';
import { apiV1Router, type ApiRoute } from './api-router.ts';
import { consultationApiRoutes } from './consultation-api.ts';
import { apiDescriptionRoutes } from './openapi.ts';
import { SmsInvitations } from './sms-invitations.ts';
import { InvitationSms } from '../consultations/invitation-sms.ts';

export { apiAuth, apiRoute, apiV1Router, type ApiRoute, type ApiContext } from './api-router.ts';

/**
 * The whole REST API v1: the consultation routes, plus `extra` routes of other features (each an ApiRoute:
 * the same bearer auth, rate limit, error format, and a place in the OpenAPI document), and its
 * description at /api/v1/openapi.json and /api/v1/docs. `routes` is what the router serves, in order.
 */
export function apiV1(s: Services, smsSender: SmsSender | null, extra: ApiRoute[] = []): { router: Router; routes: ApiRoute[] } {
  const routes = [...consultationApiRoutes(new SmsInvitations(s, new InvitationSms(s, smsSender))), ...extra];
  const router = apiV1Router(s, routes, [apiDescriptionRoutes(() => routes, s.config.publicOrigin)]);
  return { router, routes };
}
