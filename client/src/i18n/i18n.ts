import { useEffect, useState } from 'preact/hooks';

/*
 * One translation layer for both apps: every string on screen is a key looked up here, so a language is
 * one dictionary file per app. English is the reference; other dictionaries must have the same keys
 * (enforced by the type of `createI18n`).
 */

export const LANGUAGES = { en: 'English', nb: 'Norsk bokmål' } as const;
export type Language = keyof typeof LANGUAGES;

const STORAGE_KEY = 'consult.language';

/** Norwegian in any form (nb, no, nn) gets bokmål; anything else English. */
export function detectLanguage(): Language {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (stored && stored in LANGUAGES) return stored as Language;
  for (const tag of globalThis.navigator?.languages ?? []) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'nb' || base === 'no' || base === 'nn') return 'nb';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export type Params = Record<string, string | number>;

export interface I18n<K extends string> {
  t(key: K, params?: Params): string;
  language(): Language;
  setLanguage(language: Language): void;
  subscribe(listener: () => void): () => void;
}

export function createI18n<D extends Record<string, string>>(dictionaries: { en: D } & Record<Exclude<Language, 'en'>, Record<keyof D, string>>): I18n<keyof D & string> {
  let current = detectLanguage();
  const listeners = new Set<() => void>();
  const apply = () => {
    if (typeof document !== 'undefined') document.documentElement.lang = current;
  };
  apply();
  return {
    t(key, params) {
      const text = (dictionaries[current] as Record<string, string>)[key] ?? dictionaries.en[key] ?? key;
      return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
    },
    language: () => current,
    setLanguage(language) {
      current = language;
      globalThis.localStorage?.setItem(STORAGE_KEY, language);
      apply();
      for (const l of listeners) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Re-renders the component when the language changes. */
export function useLanguage<K extends string>(i18n: I18n<K>): Language {
  const [language, setLanguage] = useState(i18n.language());
  useEffect(() => i18n.subscribe(() => setLanguage(i18n.language())), [i18n]);
  return language;
}
