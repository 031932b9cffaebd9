import { z } from 'zod';

/** GET /privacy/:orgId?lang=: the language asked for; anything else falls back to the browser's preference. */
export const privacyPageQuery = z.object({ lang: z.enum(['en', 'nb']).optional().catch(undefined) });
