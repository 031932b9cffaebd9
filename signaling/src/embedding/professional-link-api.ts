import { z } from 'zod';
import { apiConsultationId, professionalLinkCreated, professionalLinkRequest } from '../../protocol/index.ts';
import { apiRoute, type ApiRoute } from '../api/api-v1.ts';
import { professionalLinkHandler } from './embedding-routes.ts';

/**
 * `POST /api/v1/consultations/{id}/professional-link`, on the v1 router (its bearer auth, rate limit, error
 * format and OpenAPI entry): for EHRs that authenticated the professional themselves.
 */
export function professionalLinkApiRoute(clock: () => number = Date.now): ApiRoute {
  return apiRoute({
    method: 'post',
    path: '/api/v1/consultations/:id/professional-link',
    operationId: 'createProfessionalLink',
    summary: 'A single-use link that opens the consultation for a professional',
    description:
      'Valid for 60 seconds and for one use. Opened at the top level, or as the src of an iframe on an origin the organization allows, it opens the call view of this consultation only, as the named professional: no cookie, no dashboard, no other consultation, no admin page (the full dashboard needs a real login). The session ends with the consultation (its call ends, or it is cancelled). Its use is audited as a login with the method single_use_link. Only for professionals your system has authenticated itself.',
    params: z.strictObject({ id: apiConsultationId }),
    body: professionalLinkRequest,
    responses: [{ status: 201, description: 'The link', schema: professionalLinkCreated }],
    errors: [400, 404],
    async handler({ s, caller, params, body }) {
      return { status: 201, body: await professionalLinkHandler(s, caller.orgId, params.id, body, clock()) };
    },
  });
}
