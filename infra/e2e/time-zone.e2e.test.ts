import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addMember, sessionCookieFor } from '../../signaling/src/test-support/test-server.ts';
import { sessionCookieName } from '../../signaling/src/http/request-guards.ts';
import { consultationSuite, passDeviceCheck } from './consultation.ts';
import { eventually } from '../../signaling/src/test-support/eventually.ts';

const DAY = 86_400_000;

/*
 * Times at the organization's clock, in real Chromium whose pages run in other time zones: a professional
 * in New York schedules for 10:00, meaning the clinic's 10:00 in Oslo; the visitor, whose browser is in
 * Tokyo, is told 10:00 with Oslo's date; the queue card says 10:00. The admin moves the organization to
 * New York on the Organization page, and both pages follow.
 */
describe('times at the organization’s clock, whatever zone the browser runs in (real Chromium)', function () {
  this.timeout(120_000);
  const suite = consultationSuite('Zone Clinic');

  /** A page whose browser believes it is in `timezoneId` (closed with the test's other pages). */
  async function pageIn(timezoneId: string): Promise<Page> {
    const context = await suite.browser.newContext({ timezoneId, permissions: ['camera', 'microphone'], viewport: { width: 900, height: 700 } });
    await context.grantPermissions(['camera', 'microphone'], { origin: suite.server.origin });
    suite.scene.contexts.push(context);
    return context.newPage();
  }

  it('a consultation typed, sent and shown at Oslo’s clock from New York and Tokyo browsers; the admin’s change of zone is followed', async () => {
    const admin = await addMember(suite.server.services, suite.org.org.id, { name: 'Anne Admin', role: 'admin' });
    const pro = await pageIn('America/New_York');
    const value = await sessionCookieFor(suite.server, suite.org.org.id, admin.id);
    await pro.context().addCookies([{ name: sessionCookieName(false), value, url: suite.server.url }]);
    await pro.goto(`${suite.server.url}/dashboard/`);
    await pro.getByRole('heading', { name: /Waiting room/ }).waitFor();
    // The browser really is in New York.
    expect(await pro.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).to.equal('America/New_York');

    // Tomorrow, as Oslo counts days, at 10:00 there.
    const osloDate = (at: number, options: Intl.DateTimeFormatOptions, locale = 'en-GB') => new Intl.DateTimeFormat(locale, { ...options, timeZone: 'Europe/Oslo' }).format(at);
    const day = osloDate(Date.now() + DAY, { year: 'numeric', month: '2-digit', day: '2-digit' }, 'sv-SE');
    const schedule = pro.getByRole('form', { name: 'Schedule a consultation' });
    await schedule.getByText('At the organization’s clock (Europe/Oslo)').waitFor();
    await schedule.getByLabel('Room').selectOption({ label: suite.org.professional.name });
    await schedule.getByLabel('Date and time (optional)').fill(`${day}T10:00`);
    await schedule.getByRole('button', { name: 'Create a link for the visitor' }).click();
    const link = await schedule.getByRole('textbox', { name: 'Private link for the visitor' }).inputValue();

    const { consultations } = await suite.server.services.consultations.list(suite.org.org.id, { limit: 10 }, suite.org.org.retentionMs);
    const scheduledAt = consultations.find((c) => c.scheduledAt !== null)!.scheduledAt!;
    expect(osloDate(scheduledAt, { dateStyle: 'short', timeStyle: 'short' }, 'sv-SE'), 'stored as Oslo’s 10:00').to.equal(`${day} 10:00`);
    const osloDay = osloDate(scheduledAt, { dateStyle: 'full' });

    const visitor = await pageIn('Asia/Tokyo');
    await visitor.goto(link);
    await passDeviceCheck(visitor);
    await visitor.getByText(`Your appointment is on ${osloDay} at 10:00.`).waitFor();
    await visitor.getByLabel('Your name').fill('Tora Vik');
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitor.getByText(`${suite.org.professional.name} has been told you are here.`).waitFor();
    await visitor.getByText(`Your appointment is on ${osloDay} at 10:00.`).waitFor();
    const card = pro.getByRole('listitem').filter({ hasText: 'Tora Vik' });
    await card.getByText('appointment 10:00').waitFor();

    // The admin moves the organization to New York: the same instant, now at New York's clock, on both pages.
    await pro.getByRole('button', { name: 'Organization' }).click();
    const zoneForm = pro.getByRole('form', { name: 'Time zone' });
    expect(await zoneForm.getByLabel('The organization’s time zone').inputValue()).to.equal('Europe/Oslo');
    await zoneForm.getByLabel('The organization’s time zone').selectOption('America/New_York');
    await zoneForm.getByRole('button', { name: 'Save time zone' }).click();
    await eventually(async () => (await suite.server.services.organizations.timeZoneOf(suite.org.org.id)) === 'America/New_York', { what: 'the new zone is saved', intervalMs: 100 });
    const newYork = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'America/New_York' }).format(scheduledAt);
    const nyClock = newYork({ hour: '2-digit', minute: '2-digit' });
    expect(nyClock).not.to.equal('10:00');
    await pro.reload();
    await pro.getByRole('listitem').filter({ hasText: 'Tora Vik' }).getByText(`appointment ${nyClock}`).waitFor();
    await visitor.reload();
    await visitor.getByText(`Your appointment is on ${newYork({ dateStyle: 'full' })} at ${nyClock}.`).waitFor();
  });
});
