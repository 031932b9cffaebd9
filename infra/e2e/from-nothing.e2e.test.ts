import { expect } from 'chai';
import { execFile } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { codeFor } from '../../signaling/src/auth/second-factor.ts';
import { seedDemo } from '../../signaling/src/organizations/seed.ts';
import { startTestServer, unusedCode, type TestServer } from '../../signaling/src/test-support/test-server.ts';
import { launchChromium, newCallContext, screenshotAll } from './browser.ts';

/*
 * A clinic from nothing, as a newcomer and an operator meet the service: the demo that `npm start` seeds
 * opens every page to its member; an operator's `org:create` prints an invitation that its first admin
 * opens in a browser, with the code, a password and two-step login, and reaches the Organization page.
 */
describe('from nothing: the demo admin, then a clinic created by an operator and its first admin joining (real Chromium, Redis, the command)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let browser: Browser;
  const pages: Page[] = [];

  before(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async function () {
    const contexts = pages.splice(0).map((p) => p.context());
    if (this.currentTest?.state === 'failed') console.log(`    screenshots: ${(await screenshotAll(contexts, this.currentTest.title)).join(' ')}`);
    for (const c of contexts) await c.close().catch(() => undefined);
  });

  async function page(): Promise<Page> {
    const p = await (await newCallContext(browser, server.origin)).newPage();
    pages.push(p);
    return p;
  }

  /** The first login's second step, as the member does it with their phone: answers the app's secret. */
  async function setsUpSecondFactor(p: Page): Promise<string> {
    await p.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    const secret = (await p.getByTestId('totp-secret').textContent())!.trim();
    await p.getByLabel('Code from your authenticator app').fill(codeFor(secret));
    await p.getByRole('button', { name: 'Turn on' }).click();
    await p.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    await p.getByRole('button', { name: 'I have stored them' }).click();
    await p.getByRole('heading', { name: /Waiting room/ }).waitFor();
    return secret;
  }

  it('the demo member, seeded on the empty database, is its admin and opens every page', async () => {
    const demo = await seedDemo(server.services.organizations, server.services.audit);
    expect(demo, 'the database was empty').to.not.equal(null);
    const p = await page();
    await p.goto(`${server.url}/dashboard/`);
    await p.getByLabel('E-mail').fill(demo!.email);
    await p.getByLabel('Password').fill(demo!.password);
    await p.getByRole('button', { name: 'Log in' }).click();
    await setsUpSecondFactor(p);
    const everyPage: [string, string | RegExp][] = [
      ['History', 'Call history'],
      ['Settings', 'SMS when someone arrives'],
      ['Organization', 'Organization'],
      ['Visitors’ data', 'Visitors’ data'],
      ['Audit log', 'Audit log'],
      ['Waiting room', /Waiting room/],
    ];
    for (const [tab, heading] of everyPage) {
      await p.getByRole('navigation').getByRole('button', { name: tab, exact: true }).click();
      await p.getByRole('heading', { name: heading, exact: typeof heading === 'string' }).first().waitFor();
    }
  });

  it('org:create, then the invitation opened in Chromium: the code, a password, two-step login, the Organization page', async () => {
    const created = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'signaling/src/operator/create-organization-cli.ts', '--name', 'Hansen legekontor', '--admin-email', 'kari@example.no'],
        {
          env: {
            ...process.env,
            REDIS_URL: server.redis.url,
            DATA_ENCRYPTION_KEYS: server.services.config.DATA_ENCRYPTION_KEYS,
            ADDRESS_HASH_KEY: server.services.config.ADDRESS_HASH_KEY,
            PUBLIC_ORIGIN: server.origin,
            CONSULT_DATA_DIR: '/nonexistent',
          },
        },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      ),
    );
    expect(created.code, created.stderr).to.equal(0);
    const link = /link: (\S+)/.exec(created.stdout)![1]!;
    const code = /code: (\d{8})\b/.exec(created.stdout)![1]!;

    const kari = await page();
    await kari.goto(link);
    await kari.getByRole('heading', { name: 'Join Hansen legekontor' }).waitFor();
    await kari.getByLabel('Invitation code').fill(code);
    await kari.getByLabel('New password', { exact: true }).fill('kari has a long password');
    await kari.getByLabel('New password again').fill('kari has a long password');
    await kari.getByRole('button', { name: 'Join' }).click();
    await setsUpSecondFactor(kari);
    await kari.getByRole('navigation').getByRole('button', { name: 'Organization', exact: true }).click();
    await kari.getByRole('heading', { name: 'Organization', exact: true }).waitFor();

    // Another day, another browser: the password, then the code from her app.
    const member = (await server.services.organizations.findProfessionalByEmail('kari@example.no'))!;
    expect(member.role).to.equal('admin');
    const later = await page();
    await later.goto(`${server.url}/dashboard/`);
    await later.getByLabel('E-mail').fill('kari@example.no');
    await later.getByLabel('Password').fill('kari has a long password');
    await later.getByRole('button', { name: 'Log in' }).click();
    await later.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await later.getByLabel('Code from your authenticator app').fill(await unusedCode(server, member.id, member.orgId));
    await later.getByRole('button', { name: 'Continue' }).click();
    await later.getByRole('navigation').getByRole('button', { name: 'Organization', exact: true }).click();
    await later.getByRole('heading', { name: 'Organization', exact: true }).waitFor();
    // Her clinic's first room is on it.
    await later.getByText('Hansen legekontor').first().waitFor();
  });
});
