import { Router, type Request } from 'express';
import { id as organizationId, languageFromAcceptLanguage, privacyPagePath, privacyPageQuery } from '../../protocol/index.ts';
import type { Services } from '../services.ts';
import { privacyFactsOf } from './privacy-facts.ts';
import { privacyText, type PrivacyLanguage } from './privacy-text.ts';
import { PRIVACY_STYLESHEET, PRIVACY_STYLESHEET_PATH, renderPrivacyPage } from './privacy-page.ts';

/** (The path is declared in the protocol: the visitor app links to it too.) */
export const privacyPath = privacyPagePath;

const NOT_FOUND_PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Not found</title>
<p>There is no such privacy page. / Denne personvernsiden finnes ikke. / Denne personvernsida finst ikkje. / Integritetssidan finns inte. / Siden om privatliv findes ikke.</p></html>
`;

/** ?lang= wins; otherwise the browser's first preference that the service speaks (Accept-Language); English by default. */
function languageOf(req: Request, asked: PrivacyLanguage | undefined): PrivacyLanguage {
  return asked ?? languageFromAcceptLanguage(req.get('accept-language'));
}

/**
 * GET /privacy/:orgId: each organization's privacy page, for visitors, public (the organization id is no
 * secret and the page says nothing about any person), made from the organization's settings on each request.
 */
export function privacyRoutes(s: Services): Router {
  const router = Router();

  // (Before the page's route: its name is no organization id.)
  router.get(PRIVACY_STYLESHEET_PATH, (_req, res) => void res.type('css').set('Cache-Control', 'max-age=3600').send(PRIVACY_STYLESHEET));

  router.get('/privacy/:orgId', async (req, res) => {
    const id = organizationId.safeParse(req.params.orgId);
    const query = privacyPageQuery.safeParse(req.query);
    if (!id.success || !query.success) return res.status(404).type('html').send(NOT_FOUND_PAGE);
    const facts = await privacyFactsOf(s, id.data);
    if (!facts) return res.status(404).type('html').send(NOT_FOUND_PAGE);
    const lang = languageOf(req, query.data.lang);
    res.set('content-language', lang);
    res.vary('accept-language');
    res.type('html').send(renderPrivacyPage(lang, privacyText(lang, facts), facts.privacyContact, privacyPath(id.data)));
  });

  return router;
}
