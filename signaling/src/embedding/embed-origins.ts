import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { consultationPage, consultationPageWithSecret, embedOrigin, PAY_FRAME_PATH } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';
import { PROFESSIONAL_LINK_PATH } from './professional-links.ts';

/** The hosts a plain-http origin may name, and only outside production (an EHR developer's machine). */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why an origin may not frame our pages, or null if it may: https only; http only for this machine
 * (localhost, 127.0.0.1, ::1) and never in production, where a page on plain http could be anyone's.
 */
export function embedOriginProblem(origin: string, production: boolean): string | null {
  if (!embedOrigin.safeParse(origin).success) return 'not an origin (scheme, host and port only, such as https://ehr.example.com)';
  const url = new URL(origin);
  if (url.protocol === 'https:') return null;
  if (production) return 'https only';
  return LOCAL_HOSTS.has(url.hostname) ? null : 'https only (http is accepted for localhost outside production)';
}

/** Each organization's list of origins allowed to frame its pages (an admin setting; permanent). */
export class EmbedOrigins {
  constructor(
    private readonly redis: Redis,
    private readonly production: boolean,
  ) {}

  /** The list as stored, less any origin this server does not accept (a local one, on a production server). */
  async get(orgId: string): Promise<string[]> {
    const stored = await this.redis.get(keys.embedOrigins(orgId));
    return stored ? (JSON.parse(stored) as string[]).filter((o) => !embedOriginProblem(o, this.production)) : [];
  }

  async set(orgId: string, origins: string[]): Promise<void> {
    if (origins.length) await this.redis.set(keys.embedOrigins(orgId), JSON.stringify(origins));
    else await this.redis.del(keys.embedOrigins(orgId));
  }
}

/**
 * The organization whose page a path is, for the pages that may be framed: a consultation's visitor link
 * (`/c/<org>.<consultation>`, or the old `/c/<org>.<consultation>.<secret>`), a room's link (`/r/<slug>`),
 * their payment frames (`.../pay`, framed by the visitor app within the EHR's page) and the professional link page
 * (`/dashboard/link/<org>`). Null for every other path: those are never framed.
 */
export async function organizationOfPage(s: Pick<Services, 'organizations'>, path: string): Promise<string | null> {
  const parts = path.split('/');
  const [, first, second, third] = parts;
  // A visit's payment frame: as its visit's page.
  if ((first === 'c' || first === 'r') && second && parts.length === 4 && third === PAY_FRAME_PATH) return organizationOfPage(s, `/${first}/${second}`);
  if (first === 'c' && second && parts.length === 3) {
    const page = decodedOrNull(second);
    const ok = page !== null && (consultationPage.safeParse(page).success || consultationPageWithSecret.safeParse(page).success);
    return ok ? page.slice(0, 32) : null;
  }
  if (first === 'r' && second && parts.length === 3) {
    const slug = decodedOrNull(second);
    const room = slug === null ? null : await s.organizations.findRoomBySlugRecent(slug).catch(() => null);
    return room?.orgId ?? null;
  }
  if (`/${first}/${second}` === PROFESSIONAL_LINK_PATH && parts.length === 4 && third && /^[0-9a-f]{32}$/.test(third)) return third;
  return null;
}

/** Broken percent-encoding (`/r/%`) names no room nor consultation: such a page may be framed by no one. */
function decodedOrNull(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

/** What `res.locals` carries from here to the security headers: who may frame this response. */
export interface FrameAncestorsLocals {
  frameAncestors?: string[];
}

/**
 * Before the security headers: for an embeddable page whose organization lists origins, those origins
 * become the page's `frame-ancestors` (securityHeaders sends 'none' everywhere else). Read per request, so
 * an origin an admin removes cannot frame a page loaded after that. Only page loads (GET of a document)
 * cost a lookup; assets and the API never match.
 */
export function frameAncestors(s: Pick<Services, 'organizations'>, origins: EmbedOrigins) {
  return async (req: Request, res: Response<unknown, FrameAncestorsLocals>, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    try {
      const orgId = await organizationOfPage(s, req.path);
      const allowed = orgId ? await origins.get(orgId) : [];
      if (allowed.length) res.locals.frameAncestors = allowed;
      next();
    } catch (err) {
      next(err);
    }
  };
}
