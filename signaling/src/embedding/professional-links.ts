import type { Redis } from 'ioredis';
import { PROFESSIONAL_LINK_TTL_MS, professionalLinkToken } from '../../protocol/index.ts';
import { hashSecret, newSecret } from '../ids.ts';
import { keys } from '../redis/keys.ts';

/** What a used link logs in: which member, into which consultation. */
export interface RedeemedLink {
  orgId: string;
  consultationId: string;
  professionalId: string;
}

/** Where the dashboard opens a link: `#link=` keeps the token out of requests, logs and Referer headers. */
export const PROFESSIONAL_LINK_PATH = '/dashboard/link';

/**
 * Single-use links that log a named member in, straight into one consultation, for EHRs that have already
 * authenticated that member. The token is `<organization>.<secret>` (256 random bits); Redis keeps only
 * the secret's hash. A link works once (taken with GETDEL, so two tabs racing cannot both use it) and for
 * PROFESSIONAL_LINK_TTL_MS: the key's own expiry removes it, and the time written in it is checked too, so
 * that the clock passed in (tests) decides rather than Redis's.
 */
export class ProfessionalLinks {
  constructor(
    private readonly redis: Redis,
    private readonly publicOrigin: string,
  ) {}

  async issue(orgId: string, consultationId: string, professionalId: string, now = Date.now()): Promise<{ url: string; expiresAt: number; token: string }> {
    const secret = newSecret();
    const expiresAt = now + PROFESSIONAL_LINK_TTL_MS;
    await this.redis.set(keys.professionalLink(orgId, hashSecret(secret)), JSON.stringify({ consultationId, professionalId, expiresAt }), 'PX', PROFESSIONAL_LINK_TTL_MS);
    const token = `${orgId}.${secret}`;
    // The organization in the path lets the server send that organization's frame-ancestors with the page.
    return { url: `${this.publicOrigin}${PROFESSIONAL_LINK_PATH}/${orgId}#link=${token}`, expiresAt, token };
  }

  /** Uses the link up: what it logs in, or null for a malformed, unknown, used or expired one (all alike). */
  async redeem(token: unknown, now = Date.now()): Promise<RedeemedLink | null> {
    const parsed = professionalLinkToken.safeParse(token);
    if (!parsed.success) return null;
    const [orgId, secret] = parsed.data.split('.') as [string, string];
    const stored = await this.redis.getdel(keys.professionalLink(orgId, hashSecret(secret)));
    if (!stored) return null;
    const link = JSON.parse(stored) as { consultationId: string; professionalId: string; expiresAt: number };
    if (now >= link.expiresAt) return null;
    return { orgId, consultationId: link.consultationId, professionalId: link.professionalId };
  }
}
