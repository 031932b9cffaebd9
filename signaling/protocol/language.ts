import { z } from 'zod';

/*
 * The languages the service speaks, one list for the server (privacy page ?lang=, SMS texts) and both apps
 * (visitor and dashboard): English, Norwegian bokmål and nynorsk, Swedish and Danish.
 */

export const LANGUAGE_CODES = ['en', 'nb', 'nn', 'sv', 'da'] as const;
export type Language = (typeof LANGUAGE_CODES)[number];

/** Each language's name in itself, as the language switch shows it. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  nb: 'Norsk bokmål',
  nn: 'Norsk nynorsk',
  sv: 'Svenska',
  da: 'Dansk',
};

export const language = z.enum(LANGUAGE_CODES);

export const isLanguage = (v: unknown): v is Language => typeof v === 'string' && (LANGUAGE_CODES as readonly string[]).includes(v);

/** The locale whose conventions (dates, times, numbers) a language writes in. */
export const LOCALES: Record<Language, string> = { en: 'en-GB', nb: 'nb-NO', nn: 'nn-NO', sv: 'sv-SE', da: 'da-DK' };

/**
 * The language for one BCP 47 tag ("sv-SE", "nb", "no", "nn-NO", "da"), or undefined when the service does
 * not speak it. Plain Norwegian ("no") is bokmål, the written form most people use.
 */
export function languageOfTag(tag: string): Language | undefined {
  const base = tag.trim().toLowerCase().split(/[-_]/)[0];
  if (base === 'no' || base === 'nb') return 'nb';
  return isLanguage(base) ? base : undefined;
}

/** The first of the browser's languages (navigator.languages, in order) that the service speaks; English otherwise. */
export function languageFromPreferences(tags: readonly string[]): Language {
  for (const tag of tags) {
    const lang = languageOfTag(tag);
    if (lang) return lang;
  }
  return 'en';
}

/** The same from an Accept-Language header ("sv-SE,sv;q=0.9,en;q=0.8"): by quality, then by order. */
export function languageFromAcceptLanguage(header: string | undefined): Language {
  if (!header) return 'en';
  const tags = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
      return { tag: tag.trim(), q: q ? Number(q[1]) : 1, index };
    })
    .filter((t) => t.tag && t.tag !== '*' && t.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((t) => t.tag);
  return languageFromPreferences(tags);
}
