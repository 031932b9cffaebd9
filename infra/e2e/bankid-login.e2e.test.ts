import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { addMember, createOrganization, type TestOrganization, type TestServer } from '../../signaling/src/test-support/test-server.ts';
import { TEST_PERSONS, type BankIdBroker } from '../../signaling/src/test-support/bankid-broker.ts';
import { startBankIdServer } from '../../signaling/src/test-support/bankid-setup.ts';
import { launchChromium } from './browser.ts';
import { Consultation } from './consultation.ts';

/*
 * A member logs in with BankID, in real Chromium, through the broker stand-in's own login page (a real
 * OpenID Connect provider): the admin sets the broker up on the Organization page, the member links their
 * BankID on their settings page, the admin approves it, and from then on "Log in with BankID" opens the
 * dashboard, with no password and no authenticator code.
 */
describe('BankID login for a professional end to end (real Chromium, Redis, oidc-provider)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let broker: BankIdBroker;
  let org: TestOrganization;
  let browser: Browser;
  let scene: Consultation;

  before(async () => {
    ({ server, broker } = await startBankIdServer());
    org = await createOrganization(server.services, { name: 'BankID Clinic' });
    browser = await launchChromium();
    scene = new Consultation(browser, server, org);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(server.logs().filter((l) => l.includes('bankid')).join('\n'));
    await scene.end(this.currentTest?.state === 'failed' ? this.currentTest.title : undefined);
  });
  after(async () => {
    await browser?.close();
    await broker?.close();
    await server?.close();
  });

  it('the admin sets up the broker, the member links and the admin approves their BankID; then the member logs in with BankID and sees the dashboard', async () => {
    const admin = await addMember(server.services, org.org.id, { name: 'Anne Admin', role: 'admin' });
    const adminPage = await scene.professionalLogsIn(undefined, admin);
    await adminPage.getByRole('button', { name: 'Organization' }).click();
    const section = adminPage.getByRole('region', { name: 'BankID' });
    await section.getByText(`${server.origin}/api/bankid/callback`).waitFor();
    await section.getByLabel('Broker address (issuer URL)').fill(broker.issuer);
    await section.getByLabel('Client ID').fill(broker.clientId);
    await section.getByLabel('Client secret').fill(broker.clientSecret);
    await section.getByLabel('Members may log in with BankID').check();
    await section.getByRole('button', { name: 'Save BankID settings' }).click();
    await section.getByText('Saved.').waitFor();
    const loginLink = await section.getByRole('link', { name: /organization=/ }).getAttribute('href');
    expect(loginLink).to.equal(`${server.origin}/dashboard/?organization=${org.org.id}`);

    // The member links their BankID at the broker, from their settings page.
    const memberPage = await scene.professionalLogsIn();
    await memberPage.getByRole('button', { name: 'Settings' }).click();
    await memberPage.getByRole('button', { name: 'Link my BankID' }).click();
    await memberPage.getByPlaceholder('Enter any login').fill(TEST_PERSONS.kari.login);
    await memberPage.getByPlaceholder('and password').fill('any password');
    await memberPage.getByRole('button', { name: 'Sign-in' }).click();
    await memberPage.getByRole('heading', { name: /Waiting room/ }).waitFor();
    await memberPage.getByRole('button', { name: 'Settings' }).click();
    await memberPage.getByText('Your BankID is linked and waits for an administrator’s approval.').waitFor();

    // Not yet approved: a BankID login does not open the dashboard.
    const early = await scene.page();
    await early.goto(loginLink!);
    await early.getByRole('button', { name: 'Log in with BankID' }).click();
    await early.getByPlaceholder('Enter any login').fill(TEST_PERSONS.kari.login);
    await early.getByPlaceholder('and password').fill('any password');
    await early.getByRole('button', { name: 'Sign-in' }).click();
    await early.getByText('BankID login did not work.').waitFor();
    await early.getByRole('heading', { name: 'Log in' }).waitFor();

    await adminPage.reload();
    await adminPage.getByRole('button', { name: 'Organization' }).click();
    await adminPage.getByRole('button', { name: `Approve the BankID of ${org.professional.name}` }).click();
    await adminPage.getByText(`${org.professional.name}: can log in with BankID`).waitFor();

    // A new device: the organization's login link, BankID, the broker's page, and the dashboard.
    const page = await scene.page();
    await page.goto(loginLink!);
    await page.getByRole('button', { name: 'Log in with BankID' }).click();
    await page.waitForURL((url) => url.origin === broker.issuer);
    await page.getByPlaceholder('Enter any login').fill(TEST_PERSONS.kari.login);
    await page.getByPlaceholder('and password').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('heading', { name: /Waiting room/ }).waitFor();
    expect(new URL(page.url()).pathname).to.equal('/dashboard/');
    await page.getByText(org.professional.name).first().waitFor();

    // The page remembers the organization: next time the plain login page offers BankID too.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.goto(`${server.url}/dashboard/`);
    await page.getByRole('button', { name: 'Log in with BankID' }).waitFor();
  });
});
