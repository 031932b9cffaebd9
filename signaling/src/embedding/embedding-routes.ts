import { Router } from 'express';
import {
  organizationAdminRoutes,
  visitorRoutes,
  id,
  professionalLinkRedeem,
  professionalLinkRequest,
  type EmbedParent,
  type EmbedSettings,
  type ProfessionalLinkCreated,
  type ProfessionalLinkRedeemed,
} from '../../protocol/index.ts';
import { adminAccess } from '../admin/admin-access.ts';
import { AppError, badField, notFound } from '../errors.ts';
import { parse } from '../http/validate.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';
import { embedOriginProblem, organizationOfPage } from './embed-origins.ts';

/** Failed uses of professional links per address per 15 minutes (a guess at tokens is hopeless anyway). */
const FAILED_REDEEM_WINDOW_MS = 15 * 60_000;

/** An organization whose contract ended (npm run org:close): its links log no one in. */
export const isClosed = async (s: Pick<Services, 'redis'>, orgId: string) => !!(await s.redis.hget(keys.organization(orgId), 'deletedAt'));

/** A consultation's states after which it opens nothing for anyone: its embedded sessions end then. */
export const consultationOver = (state: string | null | undefined) => !state || state === 'cancelled' || state === 'ended';

/** A consultation of the organization that still takes people (not cancelled, not ended), with its room and visitor. */
async function liveConsultation(s: Pick<Services, 'redis'>, orgId: string, consultationId: string) {
  if (!id.safeParse(consultationId).success) return null;
  const h = await s.redis.hgetall(keys.consultation(orgId, consultationId));
  if (!h.id || consultationOver(h.state)) return null;
  return { id: consultationId, roomId: h.roomId!, visitorId: h.visitorId || null };
}

/**
 * POST /api/v1/consultations/{id}/professional-link, for the v1 API router to mount (it authenticates
 * the organization's API key and passes its organization): a single-use link, valid for 60 s, that opens
 * that one consultation as `professionalId` (never the dashboard). A consultation or member that is not
 * the organization's is as unknown as one that does not exist (404), and so is a member who may not act
 * on the consultation's room.
 */
export async function professionalLinkHandler(s: Pick<Services, 'embedding' | 'log' | 'organizations' | 'redis'>, orgId: string, consultationId: string, body: unknown, now = Date.now()): Promise<ProfessionalLinkCreated> {
  const { professionalId } = parse(professionalLinkRequest, body);
  const [consultation, pro] = await Promise.all([liveConsultation(s, orgId, consultationId), s.organizations.getProfessional(orgId, professionalId)]);
  if (!consultation) throw notFound('no such consultation');
  if (!pro || !(await s.organizations.mayActOn(pro, consultation.roomId))) throw notFound('no such professional');
  const { url, expiresAt } = await s.embedding.links.issue(orgId, consultation.id, pro.id, now);
  s.log.info({ orgId, consultationId: consultation.id, professionalId: pro.id }, 'professional link issued');
  return { url, expiresAt: new Date(expiresAt).toISOString() };
}

export function embeddingRoutes(s: Pick<Services, 'audit' | 'config' | 'embedding' | 'log' | 'organizations' | 'rateLimiter' | 'redis' | 'sessions' | 'waitingRoom'>, clock: () => number = Date.now): Router {
  const router = Router();
  const routes = typedRoutes(router, s);
  const { admin, orgOf, audit } = adminAccess(s);

  /**
   * The professional link page trades its token (from the link's fragment) for a session of that one
   * consultation. The link is the EHR's word that it has authenticated this member, which is why it may
   * open no more than the consultation the EHR asked for: the same bearer token at the top level as in an
   * iframe (see EmbeddedSessions), never a cookie. Whoever holds the EHR's API key gets no admin route, no
   * other visitor and no other consultation from it; the full dashboard needs a real login.
   * Used, expired, malformed or unknown links all get the same answer.
   */
  router.post('/api/professional-links/redeem', async (req, res) => {
    const body = parse(professionalLinkRedeem, req.body);
    const invalid = async () => {
      const allowed = await s.rateLimiter.allow('professional-link', { address: req.ip }, s.config.LOGIN_LIMIT_PER_ADDRESS, FAILED_REDEEM_WINDOW_MS);
      return allowed ? notFound('This link is not valid, or it was used already') : new AppError('rate_limited', 'too many attempts; try again in 15 minutes');
    };
    const link = await s.embedding.links.redeem(body.token, clock());
    const [pro, org, consultation, closed] = link
      ? await Promise.all([
          s.organizations.getProfessional(link.orgId, link.professionalId),
          s.organizations.getOrganization(link.orgId),
          liveConsultation(s, link.orgId, link.consultationId),
          isClosed(s, link.orgId),
        ])
      : [null, null, null, true];
    if (!link || !pro || !org || !consultation || closed) throw await invalid();

    const { token, session } = await s.embedding.sessions.create(pro.orgId, pro.id, consultation.id, clock());
    const entry = await s.audit.record({
      orgId: pro.orgId,
      actor: pro.id,
      sessionHash: session.sessionHash,
      address: req.ip,
      action: 'login',
      targetId: consultation.id,
      detail: { method: 'single_use_link', embedded: true },
    });
    if (!entry) {
      await s.embedding.sessions.destroy(session);
      throw new AppError('audit_unavailable', 'the login could not be recorded; try again in a moment');
    }
    s.log.info({ orgId: pro.orgId, professionalId: pro.id, method: 'single_use_link', embedded: true }, 'professional logged in');
    const answer: ProfessionalLinkRedeemed = {
      consultationId: consultation.id,
      embedToken: token,
      professionalName: pro.name,
      organizationName: org.name,
    };
    res.json(answer);
  });

  /**
   * Whether an embedded page may post its events to `origin`: only if the page's organization lists it
   * (the same list its frame-ancestors come from). The page learns nothing else; unknown pages and origins
   * not listed look alike.
   */
  routes.on(visitorRoutes.embedParent, async ({ query }) => {
    const orgId = query ? await organizationOfPage(s, query.page) : null;
    const allowed = orgId ? await s.embedding.origins.get(orgId) : [];
    if (!query || !allowed.includes(query.origin)) throw notFound('not an origin this page may be embedded in');
    const body: EmbedParent = { origin: query.origin };
    return body;
  });

  routes.on(organizationAdminRoutes.embedding, ...admin, async (_input, _req, res): Promise<EmbedSettings> => ({ origins: await s.embedding.origins.get(orgOf(res)) }));

  /** Replaces the list. Every origin is checked before anything is stored: one bad origin changes nothing. */
  routes.on(organizationAdminRoutes.setEmbedding, ...admin, async ({ body: { origins } }, _req, res) => {
    const production = s.config.NODE_ENV === 'production';
    for (const [i, origin] of origins.entries()) {
      const problem = embedOriginProblem(origin, production);
      if (problem) throw badField(`origins.${i}`, problem);
    }
    await s.embedding.origins.set(orgOf(res), origins);
    await audit(res, 'embed-origins-changed', 'embed_origins');
    const body: EmbedSettings = { origins };
    return body;
  });

  return router;
}
