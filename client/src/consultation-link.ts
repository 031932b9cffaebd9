/*
 * A scheduled consultation's private link: `/c/<org>.<consultation>#<secret>`. The secret is in the
 * fragment, which the browser sends to no server, so no access log, proxy or Referer ever holds it; this
 * page sends the whole token in request bodies only.
 *
 * Read once, before anything else looks at the address: the secret moves out of the address bar into
 * this tab's session storage, so it does not go on in `location.href` (a return address handed to a
 * payment provider or to BankID), and a reload or the way back from BankID still finds it. A link of the
 * old form, with the secret in the path (`/c/<org>.<consultation>.<secret>`, sent before), is rewritten to
 * the new form the same way.
 */

const PAGE = /^\/c\/([0-9a-f]{32}\.[0-9a-f]{32})(?:\.([A-Za-z0-9_-]{43}))?$/;
const SECRET_IN_FRAGMENT = /^#([A-Za-z0-9_-]{43})$/;
const storageKey = (page: string) => `consult.link.${page}`;

function remember(page: string, secret: string): void {
  try {
    sessionStorage.setItem(storageKey(page), secret);
  } catch {
    // Storage refused (a private mode): this page still works; a reload needs the link again.
  }
}

function remembered(page: string): string | null {
  try {
    return sessionStorage.getItem(storageKey(page));
  } catch {
    return null;
  }
}

/** The link's token (`<org>.<consultation>.<secret>`), or null when this is no consultation's page or the secret is missing. */
function readConsultationLink(): string | null {
  const m = PAGE.exec(location.pathname);
  if (!m) return null;
  const page = m[1]!;
  const inPath = m[2];
  const inFragment = SECRET_IN_FRAGMENT.exec(location.hash)?.[1];
  const secret = inPath ?? inFragment ?? remembered(page);
  if (secret) remember(page, secret);
  // What else the fragment says (how BankID went) stays; the secret goes.
  if (inPath || inFragment) history.replaceState(null, '', `/c/${page}${location.search}${inFragment ? '' : location.hash}`);
  return secret ? `${page}.${secret}` : null;
}

export const consultationLinkToken = readConsultationLink();
