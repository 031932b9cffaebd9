import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { freePort } from '../../signaling/src/test-support/free-port.ts';
import { createOrganization, startTestServer, type TestOrganization, type TestServer } from '../../signaling/src/test-support/test-server.ts';
import { CHROMIUM_FLAGS, newCallContext, screenshotAll, waitForMedia } from './browser.ts';

/*
 * The integration guide's example EHR (infra/example-ehr/server.ts), run as the README says, against the
 * real REST API: its server creates a consultation with an API key and asks for a professional link; its
 * page embeds both views (third-party cookies blocked) and logs the service's messages; a whole
 * consultation runs through it, and the API then reports the consultation ended with its call's length.
 */
describe('the example EHR page, against the real API (Chromium, third-party cookies blocked)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let org: TestOrganization;
  let browser: Browser;
  let ehr: ChildProcess;
  let ehrOrigin: string;
  let apiKey: string;
  let context: BrowserContext | undefined;

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services, { name: 'Fjord Clinic' });
    apiKey = (await server.services.apiKeys.create(org.org.id, 'Example EHR', org.professional.id)).key;
    const port = await freePort();
    ehrOrigin = `http://localhost:${port}`;
    await server.services.embedding.origins.set(org.org.id, [ehrOrigin]);
    ehr = spawn(process.execPath, ['--import', 'tsx', new URL('../example-ehr/server.ts', import.meta.url).pathname], {
      env: { ...process.env, CONSULT_URL: server.url, CONSULT_API_KEY: apiKey, ROOM_ID: org.room.id, PROFESSIONAL_ID: org.professional.id, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      ehr.stdout!.on('data', (d: Buffer) => /Example EHR on/.test(d.toString()) && resolve());
      ehr.once('exit', (code) => reject(new Error(`the example EHR exited (${code})`)));
    });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [...CHROMIUM_FLAGS, '--test-third-party-cookie-phaseout'],
      headless: true,
    });
  });
  after(async () => {
    await browser?.close();
    ehr?.kill();
    await server?.close();
  });
  afterEach(async function () {
    if (context && this.currentTest?.state === 'failed') console.log(`    screenshots: ${(await screenshotAll([context], this.currentTest.title)).join(' ')}`);
    await context?.close().catch(() => undefined);
  });

  async function frameOf(page: Page, id: string): Promise<Frame> {
    const frame = await (await page.locator(`iframe#${id}`).elementHandle())!.contentFrame();
    await frame!.waitForLoadState();
    return frame!;
  }

  it('starts a consultation through the API, embeds both views, hears it in order, hangs up; the API reports it ended', async () => {
    context = await newCallContext(browser, server.origin);
    const page = await context.newPage();
    await page.goto(`${ehrOrigin}/`);
    await page.getByRole('button', { name: 'Start video consultation' }).click();
    const consultationId = (await page.locator('code').first().textContent())!;
    expect(consultationId).to.match(/^[0-9a-f]{32}$/);

    const professional = await frameOf(page, 'professional');
    const patient = await frameOf(page, 'patient');
    await professional.getByText('The visitor is not here yet').waitFor();
    await patient.getByRole('button', { name: 'Continue to check-in' }).click();
    await patient.getByLabel('Your name').fill('Kari Nordmann');
    await patient.getByRole('button', { name: 'Go to the waiting room' }).click();
    await professional.getByText('Kari Nordmann is waiting.').waitFor();
    await professional.getByRole('button', { name: 'Admit' }).click();
    await waitForMedia(patient as unknown as Page, (m) => m.framesDecoded > 10, 'the patient sees the professional');
    await waitForMedia(professional as unknown as Page, (m) => m.framesDecoded > 10, 'the professional sees the patient');
    await new Promise((r) => setTimeout(r, 1100));
    await page.getByRole('button', { name: 'Hang up from the EHR' }).click();
    await professional.getByRole('heading', { name: 'The call has ended.' }).waitFor();

    // The page's log, from the service's own origin only, in order for each view.
    await page.waitForFunction(() => (document.getElementById('log')!.textContent ?? '').split('\n').filter(Boolean).length >= 8);
    const log = (await page.locator('#log').textContent())!.split('\n').filter(Boolean);
    for (const view of ['professional', 'visitor']) {
      expect(log.filter((l) => l.startsWith(`${view}:`)), view).to.deep.equal(['ready', 'visitor-arrived', 'visitor-admitted', 'call-ended'].map((t) => `${view}: ${t}`));
    }

    const res = await fetch(`${server.url}/api/v1/consultations/${consultationId}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const body = (await res.json()) as { status: string; externalReference: string; callSeconds: number; arrivedAt: string; admittedAt: string; endedAt: string };
    expect(body).to.deep.include({ status: 'ended', externalReference: 'record-12345' });
    expect(body.callSeconds).to.be.at.least(1);
    expect(Date.parse(body.arrivedAt)).to.be.at.most(Date.parse(body.admittedAt));
    expect(Date.parse(body.admittedAt)).to.be.at.most(Date.parse(body.endedAt));
  });
});
