import { useEffect, useState } from 'preact/hooks';
import { LANGUAGE_NAMES, LOCALES, isLanguage, languageFromPreferences, type Language } from '../../../signaling/protocol/language.ts';

/*
 * One translation layer for both apps: every string on screen is a key looked up here, so a language is
 * one dictionary file per app. English is the reference; other dictionaries must have the same keys
 * (enforced by the type of `createI18n`).
 */

/** The languages the switch offers, each by its own name (one list with the server: signaling/protocol/language.ts). */
export const LANGUAGES = LANGUAGE_NAMES;
export type { Language };

const STORAGE_KEY = 'consult.language';

/**
 * The language chosen with the switch on this device, else the browser's first that the service speaks
 * (nb and no: bokmål, nn: nynorsk, sv-SE: Swedish, da-DK: Danish), else English.
 */
export function detectLanguage(): Language {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (isLanguage(stored)) return stored;
  const nav = globalThis.navigator;
  return languageFromPreferences(nav?.languages?.length ? nav.languages : nav?.language ? [nav.language] : []);
}

export type Params = Record<string, string | number>;

/** The keys that come in plural forms: "queue.unread" for "queue.unread.one" and "queue.unread.other". */
export type PluralKey<K extends string> = K extends `${infer B}.other` ? B : never;

export interface I18n<K extends string> {
  t(key: K, params?: Params): string;
  /**
   * The form of `key` that the language's plural rules (Intl.PluralRules) choose for `count`: `key.one`,
   * `key.other` (and `key.few`, `key.many` for languages that have them), `key.other` when it has no such form.
   */
  plural(key: PluralKey<K>, count: number, params?: Params): string;
  language(): Language;
  setLanguage(language: Language): void;
  subscribe(listener: () => void): () => void;
}

/** Every language's dictionary for one app, each with English's keys. */
export type Dictionaries<D extends Record<string, string>> = { en: D } & Record<Exclude<Language, 'en'>, Record<keyof D, string>>;

export function createI18n<D extends Record<string, string>>(dictionaries: Dictionaries<D>): I18n<keyof D & string> {
  let current = detectLanguage();
  const listeners = new Set<() => void>();
  const apply = () => {
    if (typeof document !== 'undefined') document.documentElement.lang = current;
  };
  apply();
  const t = (key: string, params?: Params): string => {
    const text = (dictionaries[current] as Record<string, string>)[key] ?? (dictionaries.en as Record<string, string>)[key] ?? key;
    return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
  };
  return {
    t,
    plural(key, count, params) {
      const form = `${key}.${new Intl.PluralRules(LOCALES[current]).select(count)}`;
      return t(form in dictionaries[current] ? form : `${key}.other`, params);
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
