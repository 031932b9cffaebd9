import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEFAULT_CHECK_IN } from '../../signaling/protocol/index.ts';
import { ask, createOrganization, professionalSocket, sessionCookieFor, type ProfessionalClient, type TestOrganization, type TestServer } from '../../signaling/src/test-support/test-server.ts';
import type { Room } from '../../signaling/src/organizations/organization-store.ts';
import type { BankIdBroker } from '../../signaling/src/test-support/bankid-broker.ts';
import { adminOf, setUpBankId, startBankIdServer } from '../../signaling/src/test-support/bankid-setup.ts';
import { startStripeStandIn, stripeEnv, testStripeKeys, type StripeStandIn } from '../../signaling/src/test-support/stripe-stand-in.ts';
import { cancelConsultation, scheduleConsultation } from '../../signaling/src/consultations/schedule.ts';
import { sessionCookieName } from '../../signaling/src/http/request-guards.ts';
import { launchChromium } from './browser.ts';
import { passDeviceCheck } from './consultation.ts';
import { routeStripe } from './fake-stripe-js.ts';
import { checkScreen, DESKTOP, newDeviceContext, PHONES, TABLET, TABLET_LANDSCAPE, type Viewport } from './phone-checks.ts';

/*
 * Phone first: every screen a visitor sees before and after the call (device check, form, BankID, payment,
 * waiting with its messages and its "sent back", "turned away" and "cancelled" endings, the end page, the
 * receipt, /check, a link that is not valid, the privacy page), reached as a visitor reaches them, on
 * phones (portrait and landscape), and on a tablet and a desktop for the main ones. On each: nothing wider
 * than the screen, every control at least 44 px, no WCAG 2.1 AA violation axe-core finds, a kept screenshot.
 * (The call itself has its own test.) The professional's side is a dashboard on a desktop and their socket.
 */
describe('every visitor screen but the call, on phones, a tablet and a desktop (real Chromium, Redis, mediasoup, oidc-provider, Stripe stand-in)', function () {
  this.timeout(240_000);
  const stripeKeys = testStripeKeys();
  let stripe: StripeStandIn;
  let server: TestServer;
  let broker: BankIdBroker;
  let org: TestOrganization;
  let bankIdRoom: Room;
  let paidRoom: Room;
  let browser: Browser;
  let proSocket: ProfessionalClient;
  let dashboard: Page;
  const contexts = new Map<string, BrowserContext>();

  before(async () => {
    stripe = await startStripeStandIn(stripeKeys);
    ({ server, broker } = await startBankIdServer(stripeEnv(stripeKeys, stripe)));
    org = await createOrganization(server.services, { name: 'Phone Clinic' });
    await setUpBankId(server, await adminOf(server, org.org.id), broker);
    const { organizations } = server.services;
    const members = [org.professional.id];
    bankIdRoom = await organizations.createRoom(org.org.id, { slug: `id-${org.room.slug}`, name: 'BankID reception', kind: 'shared', members });
    // Every kind of question a room can ask, on the BankID room's form.
    await organizations.setCheckIn(org.org.id, bankIdRoom.id, {
      ...DEFAULT_CHECK_IN,
      phone: { enabled: true, required: false },
      birthDate: { enabled: true, required: false },
      reason: { enabled: true, required: false },
      custom: [
        { id: 'language', label: 'Language of the call', kind: 'choice', required: false, options: ['Norsk', 'English', 'Svenska'] },
        { id: 'followup', label: 'A follow-up after an earlier visit', kind: 'checkbox', required: false },
        { id: 'refnumbr', label: 'Referral number', kind: 'number', required: false },
      ],
      consent: { text: 'Your answers are kept for 90 days and seen only by the clinic’s professionals.', privacyUrl: 'https://clinic.example/privacy' },
      bankId: true,
    });
    paidRoom = await organizations.createRoom(org.org.id, { slug: `paid-${org.room.slug}`, name: 'Paid reception', kind: 'shared', members });
    await organizations.setPrice(org.org.id, paidRoom.id, { amount: 65_000, currency: 'NOK' });
    await organizations.setCheckIn(org.org.id, org.room.id, { ...DEFAULT_CHECK_IN, phone: { enabled: true, required: false } });
    const cookie = await sessionCookieFor(server, org.org.id, org.professional.id);
    proSocket = await professionalSocket(server, `${sessionCookieName(false)}=${cookie}`);
    browser = await launchChromium();
    const desk = await newDeviceContext(browser, DESKTOP, server.origin);
    await desk.addCookies([{ name: sessionCookieName(false), value: await sessionCookieFor(server, org.org.id, org.professional.id), url: server.url }]);
    contexts.set('dashboard', desk);
    dashboard = await desk.newPage();
    await dashboard.goto(`${server.url}/dashboard/`);
    await dashboard.getByRole('heading', { name: /Waiting room/ }).waitFor();
  });
  after(async () => {
    proSocket?.disconnect();
    for (const c of contexts.values()) await c.close().catch(() => undefined);
    await browser?.close();
    await broker?.close();
    await server?.close();
    await stripe?.close();
  });

  /** One context per size for the whole suite (opening one costs more than a page); a new page per visit. */
  async function pageAt(viewport: Viewport): Promise<Page> {
    let context = contexts.get(viewport.name);
    if (!context) {
      context = await newDeviceContext(browser, viewport, server.origin);
      contexts.set(viewport.name, context);
    }
    return context.newPage();
  }

  /** The visitor id from the visit's token, as this browser keeps it (<organization>.<visitor>.<secret>). */
  async function visitorIdIn(page: Page, slug: string): Promise<string> {
    const token = await page.evaluate((key) => localStorage.getItem(key), `consult.visit.${slug}`);
    return token!.split('.')[1]!;
  }

  async function fillsTheForm(page: Page, name: string): Promise<void> {
    await page.getByLabel('Your name').fill(name);
    await page.getByRole('button', { name: 'Go to the waiting room' }).click();
  }

  /** A visitor's name for each size, so that the dashboard tells this test's visitor from an earlier one. */
  const visitorName: Record<string, string> = { [PHONES[0].name]: 'Anna', [PHONES[1].name]: 'Berit', [PHONES[2].name]: 'Cato', [TABLET.name]: 'Dag', [TABLET_LANDSCAPE.name]: 'Eva', [DESKTOP.name]: 'Frode' };
  const problemsOf = (found: string[]) => expect(found, `\n${found.join('\n')}\n`).to.deep.equal([]);

  for (const viewport of [...PHONES, TABLET, DESKTOP]) {
    it(`${viewport.name}: the device check, the form (with a mistake), waiting with a message from the professional, then turned away`, async () => {
      const found: string[] = [];
      const page = await pageAt(viewport);
      await page.goto(`${server.url}/r/${org.room.slug}`);
      await page.getByRole('heading', { name: `Video consultation with ${org.professional.name}` }).waitFor();
      await page.locator('.network-rating').waitFor({ timeout: 30_000 });
      found.push(...(await checkScreen(page, 'device-check', viewport)));

      await passDeviceCheck(page);
      await page.getByLabel('Phone number').fill('12');
      await page.getByRole('button', { name: 'Go to the waiting room' }).click();
      await page.getByRole('alert').first().waitFor();
      found.push(...(await checkScreen(page, 'check-in-form-mistake', viewport)));

      const name = `${visitorName[viewport.name]} Waiting`;
      await page.getByLabel('Phone number').fill('');
      await fillsTheForm(page, name);
      await page.getByText(`${org.professional.name} has been told you are here.`).waitFor();
      await page.getByText(/You are next in line|You are number \d+ in line/).waitFor();
      const row = dashboard.getByRole('listitem').filter({ hasText: name });
      await row.getByText('Messages').click();
      await row.getByRole('button', { name: 'I’ll be with you shortly.' }).click();
      await page.getByRole('list', { name: 'Messages' }).getByText('I’ll be with you shortly.').waitFor();
      found.push(...(await checkScreen(page, 'waiting', viewport)));

      await ask(proSocket, 'queue:deny', { visitorId: await visitorIdIn(page, org.room.slug), message: 'We will call you tomorrow for a new time.' });
      await page.getByRole('heading', { name: 'The consultation will not take place now' }).waitFor();
      found.push(...(await checkScreen(page, 'turned-away', viewport)));
      await page.close();
      problemsOf(found);
    });
  }

  for (const viewport of PHONES) {
    it(`${viewport.name}: sent back to the waiting room from the call, then leaving it`, async () => {
      const found: string[] = [];
      const page = await pageAt(viewport);
      await page.goto(`${server.url}/r/${org.room.slug}`);
      await passDeviceCheck(page);
      const name = `${visitorName[viewport.name]} Back`;
      await fillsTheForm(page, name);
      await page.getByText(`${org.professional.name} has been told you are here.`).waitFor();
      // The professional admits them from the dashboard, then sends them back from the call.
      await dashboard.getByRole('button', { name: `Admit ${name}` }).click();
      await dashboard.getByRole('button', { name: `Send ${name} back to the waiting room` }).click();
      await page.getByText(`${org.professional.name} has sent you back to the waiting room for a moment.`, { exact: false }).waitFor();
      await dashboard.getByRole('button', { name: 'End the call' }).click();
      await dashboard.getByRole('button', { name: 'Back to the waiting room' }).click();
      await dashboard.getByRole('heading', { name: /Waiting room/ }).first().waitFor();
      found.push(...(await checkScreen(page, 'waiting-sent-back', viewport)));

      await page.getByRole('button', { name: 'Leave the waiting room' }).click();
      await page.getByRole('heading', { name: 'You have left the waiting room.' }).waitFor();
      found.push(...(await checkScreen(page, 'ended-left', viewport)));
      await page.close();
      problemsOf(found);
    });

    it(`${viewport.name}: a scheduled consultation cancelled while waiting, its link afterwards, and a link that is not valid`, async () => {
      const found: string[] = [];
      const at = Date.now() + 2 * 3_600_000;
      const { consultation, visitorLink } = await scheduleConsultation(server.services, { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: at });
      const page = await pageAt(viewport);
      await page.goto(visitorLink);
      await passDeviceCheck(page);
      await page.getByText('Your appointment is on').waitFor();
      await fillsTheForm(page, 'Cancelled Visit');
      await page.getByText(`${org.professional.name} has been told you are here.`).waitFor();
      found.push(...(await checkScreen(page, 'waiting-appointment', viewport)));
      await cancelConsultation(server.services, org.org.id, consultation.id, { memberId: org.professional.id });
      await page.getByRole('heading', { name: 'This consultation was cancelled' }).waitFor();
      found.push(...(await checkScreen(page, 'cancelled', viewport)));

      await page.goto('about:blank');
      await page.goto(visitorLink);
      await page.getByRole('heading', { name: 'This consultation was cancelled' }).waitFor();
      found.push(...(await checkScreen(page, 'link-cancelled', viewport)));

      await page.goto(`${server.url}/r/no-such-room`);
      await page.getByRole('heading', { name: 'This link is not valid' }).waitFor();
      found.push(...(await checkScreen(page, 'link-not-valid', viewport)));
      await page.close();
      problemsOf(found);
    });
  }

  for (const viewport of PHONES) {
    it(`${viewport.name}: a scheduled consultation's link cancelled by the visitor, from the device check and the form`, async () => {
      const found: string[] = [];
      const { visitorLink } = await scheduleConsultation(server.services, { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: Date.now() + 26 * 3_600_000 });
      const page = await pageAt(viewport);
      await page.goto(visitorLink);
      await page.locator('.network-rating').waitFor({ timeout: 30_000 });
      found.push(...(await checkScreen(page, 'device-check-appointment', viewport)));
      await page.getByRole('button', { name: 'Cancel this appointment' }).click();
      await page.getByRole('button', { name: 'Yes, cancel it' }).waitFor();
      found.push(...(await checkScreen(page, 'device-check-appointment-cancelling', viewport)));
      // Kept after all: the visitor goes on to the form, and cancels there.
      await page.getByRole('button', { name: 'No, keep it' }).click();
      await passDeviceCheck(page);
      await page.getByText('Your appointment is on').waitFor();
      found.push(...(await checkScreen(page, 'check-in-form-appointment', viewport)));
      await page.getByRole('button', { name: 'Cancel this appointment' }).click();
      await page.getByRole('button', { name: 'Yes, cancel it' }).waitFor();
      found.push(...(await checkScreen(page, 'check-in-form-appointment-cancelling', viewport)));
      await page.getByRole('button', { name: 'Yes, cancel it' }).click();
      await page.getByRole('heading', { name: 'Your appointment is cancelled' }).waitFor();
      found.push(...(await checkScreen(page, 'appointment-cancelled-by-visitor', viewport)));
      await page.close();
      problemsOf(found);
    });
  }

  for (const viewport of [...PHONES, TABLET_LANDSCAPE]) {
    it(`${viewport.name}: the BankID step, and back from BankID cancelled`, async () => {
      const found: string[] = [];
      const page = await pageAt(viewport);
      await page.goto(`${server.url}/r/${bankIdRoom.slug}`);
      await passDeviceCheck(page);
      // The longest form, sent without the consent: said at the box.
      await fillsTheForm(page, 'Ida Identified');
      await page.getByRole('alert').first().waitFor();
      found.push(...(await checkScreen(page, 'check-in-form-every-question', viewport)));
      await page.getByLabel('I have read this and agree').check();
      await page.getByRole('button', { name: 'Go to the waiting room' }).click();
      await page.getByRole('heading', { name: 'Identify with BankID' }).waitFor();
      found.push(...(await checkScreen(page, 'bankid', viewport)));

      // Back from the broker's page, cancelled there: the broker sends the visitor to the link with the outcome.
      await page.goto('about:blank');
      await page.goto(`${server.url}/r/${bankIdRoom.slug}#bankid=cancelled`);
      await page.getByText('You cancelled BankID.', { exact: false }).waitFor();
      found.push(...(await checkScreen(page, 'bankid-cancelled', viewport)));
      await ask(proSocket, 'queue:deny', { visitorId: await visitorIdIn(page, bankIdRoom.slug) }).catch(() => undefined);
      await page.close();
      problemsOf(found);
    });
  }

  for (const viewport of [...PHONES, DESKTOP]) {
    it(`${viewport.name}: the payment step, waiting after it, and the receipt when the visitor leaves`, async () => {
      const found: string[] = [];
      const page = await pageAt(viewport);
      await routeStripe(page, stripe.url);
      await page.goto(`${server.url}/r/${paidRoom.slug}`);
      await passDeviceCheck(page);
      await fillsTheForm(page, 'Paying Visitor');
      const payment = page.frameLocator('iframe.pay-frame');
      await payment.getByText('The consultation costs').waitFor();
      await payment.getByLabel('Card number').fill('4000 0000 0000 0002');
      await payment.getByRole('button', { name: 'Reserve the amount and go on' }).click();
      await payment.getByTestId('payment-declined').waitFor();
      found.push(...(await checkScreen(page, 'payment-declined', viewport)));
      const frame = page.frames().find((f) => new URL(f.url()).pathname === `/r/${paidRoom.slug}/pay`)!;
      found.push(...(await checkScreen(frame, 'payment-frame', viewport)));

      await payment.getByLabel('Card number').fill('4242 4242 4242 4242');
      await payment.getByRole('button', { name: 'Reserve the amount and go on' }).click();
      await page.getByRole('heading', { name: 'You are in the waiting room' }).waitFor();
      await page.getByRole('button', { name: 'Leave the waiting room' }).click();
      const receipt = page.getByRole('region', { name: 'Receipt' });
      await receipt.getByText('Released', { exact: false }).or(receipt.getByText('Not charged', { exact: false })).first().waitFor({ timeout: 15_000 });
      found.push(...(await checkScreen(page, 'receipt', viewport)));
      await page.close();
      problemsOf(found);
    });
  }

  for (const viewport of [...PHONES, TABLET]) {
    it(`${viewport.name}: /check on its own, and the privacy page`, async () => {
      const found: string[] = [];
      const page = await pageAt(viewport);
      await page.goto(`${server.url}/check`);
      await page.getByRole('heading', { name: 'Check your device for a video consultation' }).waitFor();
      await page.locator('.network-rating').waitFor({ timeout: 30_000 });
      found.push(...(await checkScreen(page, 'check', viewport)));

      await page.goto(`${server.url}/privacy/${org.org.id}`);
      await page.getByRole('heading', { name: `Privacy at ${org.org.name}` }).waitFor();
      found.push(...(await checkScreen(page, 'privacy', viewport)));
      await page.close();
      problemsOf(found);
    });
  }
});
