import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  createOrganization,
  sessionCookieFor,
  startTestServer,
  unusedCode,
  type TestOrganization,
  type TestServer,
} from '../../signaling/src/test-support/test-server.ts';
import { sessionCookieName } from '../../signaling/src/http/request-guards.ts';
import { codeFor } from '../../signaling/src/auth/second-factor.ts';
import { launchChromium, newCallContext, screenshotAll } from './browser.ts';

/**
 * The people of a consultation in one Chromium: each page in its own context (its own storage, as on
 * separate computers), closed together after each test so only that test's browsers use the 2 cores.
 */
export class Consultation {
  readonly contexts: BrowserContext[] = [];

  constructor(
    private readonly browser: Browser,
    private readonly server: TestServer,
    private readonly org: TestOrganization,
  ) {}

  async page(init?: (() => void) | string): Promise<Page> {
    const context = await newCallContext(this.browser, this.server.origin, init);
    this.contexts.push(context);
    return context.newPage();
  }

  /**
   * The professional's dashboard, logged in: with a session made by the server's session store as a
   * completed login leaves it (the login pages themselves, password and second factor, have their own
   * tests; suites that only need someone logged in should not wait for fresh authenticator codes).
   */
  async professionalLogsIn(init?: (() => void) | string, member: { id: string } = this.org.professional): Promise<Page> {
    const pro = await this.page(init);
    const value = await sessionCookieFor(this.server, this.org.org.id, member.id);
    await pro.context().addCookies([{ name: sessionCookieName(false), value, url: this.server.url }]);
    await pro.goto(`${this.server.url}/dashboard/`);
    await pro.getByRole('heading', { name: /Waiting room/ }).waitFor();
    return pro;
  }

  /**
   * The second step of logging in through the pages, as the member would with their phone: sets the app up
   * if this is their first login (reading the key the page shows), or enters the app's current code.
   */
  async passesSecondFactor(page: Page, member: { id: string }): Promise<void> {
    const setup = page.getByRole('heading', { name: 'Set up two-step verification' });
    const check = page.getByRole('heading', { name: 'Two-step verification' });
    await setup.or(check).waitFor();
    if (await setup.isVisible()) {
      const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
      await page.getByLabel('Code from your authenticator app').fill(codeFor(secret));
      await page.getByRole('button', { name: 'Turn on' }).click();
      await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
      await page.getByRole('button', { name: 'I have stored them' }).click();
    } else {
      await page.getByLabel('Code from your authenticator app').fill(await unusedCode(this.server, member.id, this.org.org.id));
      await page.getByRole('button', { name: 'Continue' }).click();
    }
  }

  async visitorChecksIn(name: string, init?: (() => void) | string): Promise<Page> {
    const visitor = await this.page(init);
    await visitor.goto(`${this.server.url}/r/${this.org.room.slug}`);
    await this.checksIn(visitor, name);
    return visitor;
  }

  async checksIn(visitor: Page, name: string): Promise<void> {
    await visitor.getByRole('heading', { name: `Video consultation with ${this.org.professional.name}` }).waitFor();
    await passDeviceCheck(visitor);
    await visitor.getByLabel('Your name').fill(name);
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitor.getByText(`${this.org.professional.name} has been told you are here.`).waitFor();
  }

  /** After a failed test: screenshots of what each person saw. Then every context is closed. */
  async end(failedTitle?: string): Promise<void> {
    if (failedTitle) {
      const files = await screenshotAll(this.contexts, failedTitle);
      console.log(`    screenshots: ${files.join(' ')}`);
    }
    for (const c of this.contexts.splice(0)) await c.close().catch(() => undefined);
  }
}

export interface ConsultationSuite {
  server: TestServer;
  org: TestOrganization;
  browser: Browser;
  scene: Consultation;
}

/**
 * The mocha hooks of a browser suite: one server (real Redis and mediasoup), organization and Chromium
 * for the whole suite; each test's pages closed after it, with screenshots when it failed. `afterEachTest`
 * runs first (to close what a test opened besides pages). The fields are there once `before` has run.
 */
export function consultationSuite(organizationName: string, afterEachTest?: () => Promise<void>, env?: Record<string, string>): ConsultationSuite {
  const suite = {} as ConsultationSuite;
  before(async () => {
    suite.server = await startTestServer(env ? { env } : {});
    suite.org = await createOrganization(suite.server.services, { name: organizationName });
    suite.browser = await launchChromium();
    suite.scene = new Consultation(suite.browser, suite.server, suite.org);
  });
  after(async () => {
    await suite.scene?.end();
    await suite.browser?.close();
    await suite.server?.close();
  });
  afterEach(async function () {
    await afterEachTest?.();
    await suite.scene.end(this.currentTest?.state === 'failed' ? this.currentTest.title : undefined);
  });
  return suite;
}

/** The device and network check comes first; going on before the network test ends simply sends no figures. */
export async function passDeviceCheck(visitor: Page): Promise<void> {
  await visitor.getByRole('button', { name: /^(Continue to check-in|Gå videre til innsjekking)$/ }).click();
}

/**
 * The professional ends the call for everyone and goes back to the waiting room. The in-call screen has
 * a "Send <name> back to the waiting room" button too, which an inexact "Back to the waiting room" also
 * names: clicked before the ended screen is up, that sends a visitor back from an ended call (refused) and
 * leaves the dashboard on the ended screen, where no one waiting can be admitted. So: wait for that
 * screen, then its own button by its exact name.
 */
export async function professionalEndsTheCall(pro: Page): Promise<void> {
  await pro.getByRole('button', { name: 'End the call', exact: true }).click();
  await pro.getByRole('heading', { name: 'The call has ended.' }).waitFor();
  await pro.getByRole('button', { name: 'Back to the waiting room', exact: true }).click();
  await pro.getByRole('heading', { name: /Waiting room/ }).waitFor();
}
