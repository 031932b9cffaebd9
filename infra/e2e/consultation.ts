import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createOrganization, startTestServer, type TestOrganization, type TestServer } from '../../signaling/src/test-support/test-server.ts';
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

  async professionalLogsIn(init?: (() => void) | string): Promise<Page> {
    const pro = await this.page(init);
    await pro.goto(`${this.server.url}/dashboard/`);
    await pro.getByLabel('E-mail').fill(this.org.professional.email);
    await pro.getByLabel('Password').fill(this.org.professional.password);
    await pro.getByRole('button', { name: 'Log in' }).click();
    await pro.getByRole('heading', { name: /Waiting room/ }).waitFor();
    return pro;
  }

  async visitorChecksIn(name: string, init?: (() => void) | string): Promise<Page> {
    const visitor = await this.page(init);
    await visitor.goto(`${this.server.url}/r/${this.org.room.slug}`);
    await this.checksIn(visitor, name);
    return visitor;
  }

  async checksIn(visitor: Page, name: string): Promise<void> {
    await visitor.getByRole('heading', { name: `Video consultation with ${this.org.professional.name}` }).waitFor();
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
export function consultationSuite(organizationName: string, afterEachTest?: () => Promise<void>): ConsultationSuite {
  const suite = {} as ConsultationSuite;
  before(async () => {
    suite.server = await startTestServer();
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
