import { LANGUAGES, useLanguage, type I18n, type Language } from './i18n.ts';

/** A labelled select, so it works from the keyboard and with screen readers. */
export function LanguageSwitch({ i18n, label }: { i18n: I18n<string>; label: string }) {
  const language = useLanguage(i18n);
  return (
    <label class="language-switch">
      <span>{label}</span>
      <select value={language} onChange={(e) => i18n.setLanguage((e.currentTarget as HTMLSelectElement).value as Language)}>
        {Object.entries(LANGUAGES).map(([code, name]) => (
          <option value={code} lang={code} key={code}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}
