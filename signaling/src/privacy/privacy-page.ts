import { CONTACT, type PrivacyLanguage, type PrivacyText } from './privacy-text.ts';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The contact as a link: mailto for an e-mail address, the page itself for an https address. */
function contactLink(contact: string): string {
  const href = contact.includes('@') && !contact.startsWith('https:') ? `mailto:${contact}` : contact;
  return `<a href="${escapeHtml(href)}">${escapeHtml(contact)}</a>`;
}

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
  const other = text.otherLanguage;
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(text.title)}</title>
</head>
<body>
<main>
<p><a href="${escapeHtml(`${selfPath}?lang=${other.lang}`)}" hreflang="${other.lang}" lang="${other.lang}">${escapeHtml(other.label)}</a></p>
<h1>${escapeHtml(text.title)}</h1>
<p>${inline(text.intro)}</p>
${sections}
</main>
</body>
</html>
`;
}
