import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { consultationSuite } from './consultation.ts';
import { visitorDictionaries } from '../../client/src/strings.ts';
import { dashboardDictionaries } from '../../dashboard/src/strings.ts';

/** Any of the apps' own keys ("checkin.submit") showing on a page: a text without its translation. */
const UNTRANSLATED_KEY = /\b(app|link|check|checkPage|checkin|steps|bankid|waiting|ended|payment|privacy|receipt|call|devices|network|e2ee|chat|messages|login|nav|queue|admin|sms|password|invitation|twoStep|alerts|schedule|history|codes|payments|webhooks|visitors|audit|apiKeys|embed)\.[a-zA-Z_]+(\.[a-zA-Z_]+)*\b/;

/*
 * The language a browser asks for is the one the pages speak: a Swedish Chromium (locale sv-SE, so
 * navigator.languages and Accept-Language say Swedish) sees the visitor's pages in Swedish, a Danish one
 * the dashboard's login in Danish; the switch offers all five languages and changes the page at once.
 */
describe('the language from the browser, end to end (real Chromium)', function () {
  this.timeout(90_000);
  const suite = consultationSuite('Språkklinikken');

  async function pageIn(locale: string): Promise<Page> {
    const context = await suite.browser.newContext({ locale, permissions: ['camera', 'microphone'], viewport: { width: 900, height: 700 } });
    suite.scene.contexts.push(context);
    return context.newPage();
  }

  const visibleText = (page: Page) => page.locator('body').innerText();

  it('a Swedish browser sees the visitor’s pages in Swedish, and the switch offers all five languages', async () => {
    const visitor = await pageIn('sv-SE');
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await visitor.getByRole('heading', { name: `Videokonsultation med ${suite.org.professional.name}` }).waitFor();
    expect(await visitor.evaluate(() => document.documentElement.lang)).to.equal('sv');
    await visitor.getByRole('button', { name: 'Fortsätt till incheckningen' }).click();
    await visitor.getByLabel('Ditt namn').waitFor();
    await visitor.getByRole('button', { name: 'Gå till väntrummet' }).waitFor();
    const text = await visibleText(visitor);
    expect(text).not.to.match(UNTRANSLATED_KEY);
    expect(text).not.to.include('Go to the waiting room');

    const switcher = visitor.getByRole('combobox', { name: 'Språk' });
    expect(await switcher.locator('option').allTextContents()).to.deep.equal(['English', 'Norsk bokmål', 'Norsk nynorsk', 'Svenska', 'Dansk']);
    await switcher.selectOption('nn');
    await visitor.getByRole('button', { name: 'Gå til venterommet' }).waitFor();
    await visitor.getByLabel('Namnet ditt').waitFor();
    expect(await visitor.evaluate(() => document.documentElement.lang)).to.equal('nn');
  });

  it('every language’s browser gets the check-in and the login in its language, with no key left untranslated', async () => {
    const locales = { en: 'en-GB', nb: 'nb-NO', nn: 'nn-NO', sv: 'sv-SE', da: 'da-DK' } as const;
    for (const [lang, locale] of Object.entries(locales) as [keyof typeof locales, string][]) {
      const visitor = await pageIn(locale);
      await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
      const words = visitorDictionaries[lang];
      await visitor.getByRole('heading', { name: words['checkin.heading'].replace('{name}', suite.org.professional.name) }).waitFor();
      await visitor.getByRole('button', { name: words['check.continue'] }).click();
      await visitor.getByRole('button', { name: words['checkin.submit'] }).waitFor();
      expect(await visibleText(visitor), lang).not.to.match(UNTRANSLATED_KEY);
      const member = await pageIn(locale);
      await member.goto(`${suite.server.url}/dashboard/`);
      await member.getByRole('heading', { name: dashboardDictionaries[lang]['login.heading'] }).waitFor();
      await member.getByLabel(dashboardDictionaries[lang]['login.password']).waitFor();
      expect(await visibleText(member), lang).not.to.match(UNTRANSLATED_KEY);
      expect(await member.evaluate(() => document.documentElement.lang), lang).to.equal(lang);
    }
  });

  it('a Danish browser sees the dashboard’s login in Danish', async () => {
    const member = await pageIn('da-DK');
    await member.goto(`${suite.server.url}/dashboard/`);
    await member.getByRole('heading', { name: 'Log ind' }).waitFor();
    await member.getByLabel('Adgangskode').waitFor();
    await member.getByRole('button', { name: 'Log ind', exact: true }).waitFor();
    expect(await member.evaluate(() => document.documentElement.lang)).to.equal('da');
    const text = await visibleText(member);
    expect(text).not.to.match(UNTRANSLATED_KEY);
    expect(text).not.to.include('Password');
  });
});
