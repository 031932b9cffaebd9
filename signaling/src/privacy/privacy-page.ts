import { CONTACT, type PrivacyLanguage, type PrivacyText } from './privacy-text.ts';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The contact as a link: mailto for an e-mail address, the page itself for an https address. */
function contactLink(contact: string): string {
  const href = contact.includes('@') && !contact.startsWith('https:') ? `mailto:${contact}` : contact;
  return `<a href="${escapeHtml(href)}">${escapeHtml(contact)}</a>`;
}

/** Where the page's stylesheet is served (GET, public): a file of our own, as the CSP (style-src 'self') wants. */
export const PRIVACY_STYLESHEET_PATH = '/privacy/page.css';

/**
 * A readable measure (about 70 characters a line) on a wide screen, the full width less a margin on a
 * phone; long words (an e-mail address, a host) wrap rather than push the page sideways.
 */
export const PRIVACY_STYLESHEET = `html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:1rem;line-height:1.55;color:#1b1f24;background:#fff}
main{box-sizing:border-box;max-width:40em;margin:0 auto;padding:1.5rem 1.25rem 3rem;overflow-wrap:break-word}
h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.2rem;line-height:1.3;margin:2rem 0 .5rem}
ul{padding-left:1.25rem}
li{margin:.4rem 0}
a{color:#1b4d8c}
.language{margin:0;text-align:right}
`;

/** Plain HTML (no script, no inline style: the site's CSP allows neither), readable on any device. */
export function renderPrivacyPage(lang: PrivacyLanguage, text: PrivacyText, contact: string | null, selfPath: string): string {
  const inline = (s: string) => {
    const escaped = escapeHtml(s);
    return contact ? escaped.split(CONTACT).join(contactLink(contact)) : escaped;
  };
  const sections = text.sections
    .map((section) => {
      const paragraphs = section.paragraphs.map((p) => `<p>${inline(p)}</p>`).join('\n');
      const items = section.items.length ? `<ul>\n${section.items.map((i) => `<li>${inline(i)}</li>`).join('\n')}\n</ul>` : '';
      return `<section>\n<h2>${escapeHtml(section.heading)}</h2>\n${paragraphs}\n${items}\n</section>`;
    })
    .join('\n');
  const others = text.otherLanguages
    .map((o) => `<a href="${escapeHtml(`${selfPath}?lang=${o.lang}`)}" hreflang="${o.lang}" lang="${o.lang}">${escapeHtml(o.label)}</a>`)
    .join(' · ');
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(text.title)}</title>
<link rel="stylesheet" href="${PRIVACY_STYLESHEET_PATH}">
</head>
<body>
<main>
<p class="language">${others}</p>
<h1>${escapeHtml(text.title)}</h1>
<p>${inline(text.intro)}</p>
${sections}
</main>
</body>
</html>
`;
}
