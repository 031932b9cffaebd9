import { expect } from 'chai';
import { LANGUAGE_CODES, languageFromAcceptLanguage, languageFromPreferences, languageOfTag } from '../../../signaling/protocol/index.ts';
import { callStrings } from '../call/call-strings.ts';
import { visitorDictionaries } from '../strings.ts';
import { dashboardDictionaries, i18n as dashboardI18n } from '../../../dashboard/src/strings.ts';
import { embedStrings } from '../../../dashboard/src/embed/embed-strings.ts';
import { detectLanguage } from './i18n.ts';
import { SMS_ALERT_TEXT } from '../../../signaling/src/alerts/sms-alerts.ts';
import { SMS_INVITATION_TEXT, SMS_REMINDER_TEXT } from '../../../signaling/src/consultations/invitation-sms.ts';

/** The {placeholders} of a text, sorted, each once. */
const placeholders = (text: string): string[] => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!))].sort();

/** The problems of one table: a language without a key or with a key English lacks, an empty text, placeholders that differ. */
export function tableProblems(tables: Record<string, Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const en = tables.en as Record<string, string>;
  for (const lang of LANGUAGE_CODES) {
    const table = tables[lang] as Record<string, string> | undefined;
    if (!table) {
      problems.push(`${lang}: no table`);
      continue;
    }
    for (const key of Object.keys(en)) {
      if (!(key in table)) problems.push(`${lang}: missing ${key}`);
      else if (typeof table[key] === 'string' && !table[key].trim()) problems.push(`${lang}: ${key} is empty`);
      else if (JSON.stringify(placeholders(String(table[key]))) !== JSON.stringify(placeholders(String(en[key])))) {
        problems.push(`${lang}: ${key} has {${placeholders(String(table[key])).join('}, {')}}, English {${placeholders(String(en[key])).join('}, {')}}`);
      }
    }
    for (const key of Object.keys(table)) if (!(key in en)) problems.push(`${lang}: ${key} is not in English`);
  }
  return problems;
}

describe('every strings table in every language', () => {
  const tables = {
    'the visitor app (client/src/strings.ts)': visitorDictionaries,
    'the call screen (client/src/call/call-strings.ts)': callStrings,
    'the dashboard (dashboard/src/strings.ts)': dashboardDictionaries,
    'the embedded consultation (dashboard/src/embed/embed-strings.ts)': embedStrings,
    'the SMS invitation (signaling/src/consultations/invitation-sms.ts)': SMS_INVITATION_TEXT,
    'the SMS reminder (signaling/src/consultations/invitation-sms.ts)': SMS_REMINDER_TEXT,
    'the professional’s SMS code and alerts (signaling/src/alerts/sms-alerts.ts)': SMS_ALERT_TEXT,
  };
  for (const [name, table] of Object.entries(tables)) {
    it(`${name}: each of ${LANGUAGE_CODES.join(', ')} has every key, with the same placeholders`, () => {
      expect(tableProblems(table as Record<string, Record<string, unknown>>)).to.deep.equal([]);
    });
  }

  it('catches a missing key and a placeholder that differs', () => {
    const en = { a: 'Hello {name}', b: '{n} days' };
    const good = { a: 'Hei {name}', b: '{n} dagar' };
    const tables = { en, nb: good, nn: good, sv: { a: 'Hej {namn}', b: '{n} dagar' }, da: { a: 'Hej {name}' } };
    expect(tableProblems(tables)).to.deep.equal(['sv: a has {namn}, English {name}', 'da: missing b']);
  });
});

describe('plurals, by each language’s rules (Intl.PluralRules)', () => {
  afterEach(() => dashboardI18n.setLanguage('en'));

  it('choose the form for the count, never by string concatenation', () => {
    const unread = (lang: 'en' | 'nb' | 'nn' | 'sv' | 'da') => {
      dashboardI18n.setLanguage(lang);
      return [1, 2, 0].map((n) => dashboardI18n.plural('queue.unread', n, { n }));
    };
    expect(unread('en')).to.deep.equal(['1 new', '2 new', '0 new']);
    expect(unread('sv')).to.deep.equal(['1 ny', '2 nya', '0 nya']);
    expect(unread('da')).to.deep.equal(['1 ny', '2 nye', '0 nye']);
    expect(unread('nn')).to.deep.equal(['1 ny', '2 nye', '0 nye']);
    dashboardI18n.setLanguage('en');
    expect(dashboardI18n.plural('invitation.wrongCodeTriesLeft', 1, { count: 1 })).to.include(': 1 try left before');
    expect(dashboardI18n.plural('invitation.wrongCodeTriesLeft', 3, { count: 3 })).to.include(': 3 tries left before');
    expect(dashboardI18n.plural('admin.retentionShorten', 1, { days: 1 })).to.include('older than 1 day will');
    dashboardI18n.setLanguage('da');
    expect(dashboardI18n.plural('admin.retentionShorten', 30, { days: 30 })).to.include('ældre end 30 dage,');
  });
});

describe('the language from the browser', () => {
  it('maps each tag to the language the service speaks, bokmål for plain Norwegian', () => {
    const cases: [string, string | undefined][] = [
      ['nb', 'nb'],
      ['nb-NO', 'nb'],
      ['no', 'nb'],
      ['no-NO', 'nb'],
      ['nn', 'nn'],
      ['nn-NO', 'nn'],
      ['sv-SE', 'sv'],
      ['sv-FI', 'sv'],
      ['da-DK', 'da'],
      ['da', 'da'],
      ['en-US', 'en'],
      ['de-DE', undefined],
      ['', undefined],
    ];
    for (const [tag, lang] of cases) expect(languageOfTag(tag), tag).to.equal(lang);
  });

  it('takes the first of navigator.languages that the service speaks, else English', () => {
    expect(languageFromPreferences(['sv-SE', 'en-US'])).to.equal('sv');
    expect(languageFromPreferences(['de-DE', 'da-DK', 'en'])).to.equal('da');
    expect(languageFromPreferences(['nn-NO', 'nb-NO'])).to.equal('nn');
    expect(languageFromPreferences(['fr', 'de'])).to.equal('en');
    expect(languageFromPreferences([])).to.equal('en');
  });

  it('detectLanguage: the switch’s choice on this device first, then navigator.languages', () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    const savedStorage = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
    const stored = new Map<string, string>();
    try {
      Object.defineProperty(globalThis, 'localStorage', { configurable: true, value: { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => stored.set(k, v) } });
      const browser = (languages: string[]) => Object.defineProperty(globalThis, 'navigator', { configurable: true, value: { languages, language: languages[0] } });
      browser(['sv-SE', 'en-US']);
      expect(detectLanguage()).to.equal('sv');
      browser(['da-DK']);
      expect(detectLanguage()).to.equal('da');
      browser(['no']);
      expect(detectLanguage()).to.equal('nb');
      browser(['nn-NO', 'nb-NO']);
      expect(detectLanguage()).to.equal('nn');
      browser(['fr-FR']);
      expect(detectLanguage()).to.equal('en');
      stored.set('consult.language', 'da');
      expect(detectLanguage(), 'chosen with the switch').to.equal('da');
      stored.set('consult.language', 'xx');
      expect(detectLanguage(), 'an unknown stored value is ignored').to.equal('en');
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete (globalThis as { navigator?: unknown }).navigator;
      if (savedStorage) Object.defineProperty(globalThis, 'localStorage', savedStorage);
      else delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });

  it('reads Accept-Language by quality, then order', () => {
    expect(languageFromAcceptLanguage('sv-SE,sv;q=0.9,en;q=0.8')).to.equal('sv');
    expect(languageFromAcceptLanguage('en;q=0.5, da-DK')).to.equal('da');
    expect(languageFromAcceptLanguage('de, nn;q=0.7, nb;q=0.8')).to.equal('nb');
    expect(languageFromAcceptLanguage('no')).to.equal('nb');
    expect(languageFromAcceptLanguage('fr-FR, *;q=0.1')).to.equal('en');
    expect(languageFromAcceptLanguage('da;q=0, sv;q=0.2')).to.equal('sv');
    expect(languageFromAcceptLanguage(undefined)).to.equal('en');
  });
});
