import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { EMBED_MESSAGE_SOURCE, visitorLinkOf, type EmbedEvent, type VisitResponse } from '../../signaling/protocol/index.ts';
import { professionalLinkHandler } from '../../signaling/src/embedding/embedding-routes.ts';
import {
  ask,
  createOrganization,
  joinWaitingRoom,
  linkTokenOf,
  postJson,
  startTestServer,
  visitorSocket,
  type TestOrganization,
  type TestServer,
} from '../../signaling/src/test-support/test-server.ts';
import { storeVisitorIdentity } from '../../signaling/src/bankid/visitor-identity.ts';
import { CHROMIUM_FLAGS, newCallContext, screenshotAll, waitForMedia } from './browser.ts';

/*
 * A records system (EHR) embeds the service, in real Chromium with third-party cookies blocked. The EHR's
 * pages are on another site (http://localhost:<port>) than the service (http://127.0.0.1:<port>), so
 * everything inside the iframes is third-party: the professional's view works with its bearer token in
 * memory, the visitor's with its token in (partitioned) storage. The EHR page hears the consultation's
 * progress by postMessage, in order; a page on an origin the organization does not list cannot frame it;
 * a command from a wrong origin is ignored, the same command from the EHR works.
 */

/** An EHR page stand-in: one iframe (src from `?src=`) as the integration guide says, and a log of messages. */
const EHR_PAGE = `<!doctype html><title>EHR</title>
<iframe id="consult" allow="camera; microphone; display-capture; autoplay" style="width:860px;height:600px"></iframe>
<script>
  window.__messages = [];
  window.addEventListener('message', (e) => window.__messages.push({ origin: e.origin, data: e.data }));
  const src = new URLSearchParams(location.search).get('src');
  if (src) document.getElementById('consult').src = src;
</script>`;

/** A page on another origin, framed by the EHR page, that sends commands to its sibling frame. */
const INTRUDER_PAGE = `<!doctype html><title>intruder</title><p>intruder</p>`;

async function serve(body: string): Promise<{ origin: string; close(): void }> {
  const server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { origin: `http://localhost:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe('embedding in an EHR’s iframe (Chromium, third-party cookies blocked)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let org: TestOrganization;
  let browser: Browser;
  let ehr: { origin: string; close(): void };
  let intruder: { origin: string; close(): void };
  const contexts: BrowserContext[] = [];

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services, { name: 'Fjord Clinic' });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // Chromium's switch that blocks third-party cookies as the phase-out does (each test proves it holds).
      args: [...CHROMIUM_FLAGS, '--test-third-party-cookie-phaseout'],
      headless: true,
    });
    ehr = await serve(EHR_PAGE);
    intruder = await serve(EHR_PAGE + INTRUDER_PAGE);
    await server.services.embedding.origins.set(org.org.id, [ehr.origin]);
  });
  after(async () => {
    await browser?.close();
    ehr?.close();
    intruder?.close();
    await server?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(`    screenshots: ${(await screenshotAll(contexts, this.currentTest.title)).join(' ')}`);
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  });

  async function newPage(): Promise<Page> {
    const context = await newCallContext(browser, server.origin);
    contexts.push(context);
    const page = await context.newPage();
    if (process.env.DEBUG_EMBED) {
      page.on('console', (m) => console.log('   [console]', m.text()));
      page.on('response', (r) => console.log('   [response]', r.status(), r.url().slice(0, 120)));
      page.on('pageerror', (e) => console.log('   [pageerror]', e.message));
    }
    return page;
  }

  /** The service's frame inside an EHR page, once it has loaded. */
  async function serviceFrame(page: Page): Promise<Frame> {
    const handle = await page.locator('iframe#consult').elementHandle();
    const frame = await handle!.contentFrame();
    await frame!.waitForLoadState();
    return frame!;
  }

  const messagesOf = (page: Page) => page.evaluate(() => (window as unknown as { __messages: { origin: string; data: EmbedEvent }[] }).__messages);
  async function waitForMessages(page: Page, count: number) {
    await page.waitForFunction((n) => (window as unknown as { __messages: unknown[] }).__messages.length >= n, count);
    return messagesOf(page);
  }
  const withOrigin = (url: string, origin: string) => {
    const u = new URL(url);
    u.searchParams.set('embedOrigin', origin);
    return u.toString();
  };
  async function newConsultation() {
    const { consultation, token } = await server.services.consultations.create(
      { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null },
      86_400_000,
    );
    const link = await professionalLinkHandler(server.services, org.org.id, consultation.id, { professionalId: org.professional.id });
    return { visitorUrl: visitorLinkOf(server.url, token), professionalUrl: link.url };
  }

  /** A cookie our origin sets at the top level (SameSite=None, so only third-party blocking keeps it from the frame). */
  async function proveThirdPartyCookiesBlocked(page: Page): Promise<void> {
    await page.goto(`${server.url}/check`);
    await page.evaluate(() => (document.cookie = 'third_party_probe=1; SameSite=None; Secure; Path=/'));
    expect(await page.evaluate(() => document.cookie)).to.contain('third_party_probe=1');
  }

  it('the visitor view and the professional view work inside the EHR’s pages, and the EHR hears the consultation in order', async () => {
    const { visitorUrl, professionalUrl } = await newConsultation();

    // The professional's EHR page: the single-use link in an iframe.
    const pro = await newPage();
    await proveThirdPartyCookiesBlocked(pro);
    await pro.goto(`${ehr.origin}/?${new URLSearchParams({ src: withOrigin(professionalUrl, ehr.origin) })}`);
    const proFrame = await serviceFrame(pro);
    // Inside the frame our cookies are not there: what follows works without them.
    expect(await proFrame.evaluate(() => document.cookie)).not.to.contain('third_party_probe');
    await proFrame.getByText('The visitor is not here yet').waitFor();

    // The visitor's EHR page (their own computer): the consultation's link in an iframe.
    const visitor = await newPage();
    await visitor.goto(`${ehr.origin}/?${new URLSearchParams({ src: withOrigin(visitorUrl, ehr.origin) })}`);
    const visitorFrame = await serviceFrame(visitor);
    await visitorFrame.getByRole('heading', { name: `Video consultation with ${org.professional.name}` }).waitFor();
    await visitorFrame.getByRole('button', { name: 'Continue to check-in' }).click();
    await visitorFrame.getByLabel('Your name').fill('Kari Nordmann');
    await visitorFrame.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitorFrame.getByText(`${org.professional.name} has been told you are here.`).waitFor();

    await proFrame.getByText('Kari Nordmann is waiting.').waitFor();
    await proFrame.getByRole('button', { name: 'Admit' }).click();
    // Media flows both ways through the frames.
    await waitForMedia(visitorFrame as unknown as Page, (m) => m.framesDecoded > 10, 'the visitor sees the professional');
    await waitForMedia(proFrame as unknown as Page, (m) => m.framesDecoded > 10, 'the professional sees the visitor');

    // The EHR hangs up (its own command, from its own origin).
    await pro.evaluate((source) => (document.getElementById('consult') as HTMLIFrameElement).contentWindow!.postMessage({ source, command: 'hang-up' }, '*'), EMBED_MESSAGE_SOURCE);
    await proFrame.getByRole('heading', { name: 'The call has ended.' }).waitFor();

    const expected = ['ready', 'visitor-arrived', 'visitor-admitted', 'call-ended'];
    for (const [page, view] of [
      [pro, 'professional'],
      [visitor, 'visitor'],
    ] as const) {
      const messages = await waitForMessages(page, expected.length);
      expect(messages.map((m) => m.data.type), view).to.deep.equal(expected);
      for (const m of messages) expect(m).to.deep.equal({ origin: server.origin, data: { source: EMBED_MESSAGE_SOURCE, view, type: m.data.type } });
    }
  });

  it('a professional link opened at the top level shows that consultation’s view, sets no cookie, and the dashboard still asks for a login', async () => {
    const { visitorUrl, professionalUrl } = await newConsultation();
    const page = await newPage();
    await page.goto(professionalUrl);
    await page.getByText('The visitor is not here yet').waitFor();
    await page.getByText(`Fjord Clinic · ${org.professional.name}`).waitFor();
    // Someone else in the same room is not this consultation's patient: never shown here.
    await joinWaitingRoom(server, org.room.slug, 'Walk In');
    const visit = await postJson(server, '/api/visits', { consultation: linkTokenOf(visitorUrl), answers: { name: 'Kari Nordmann' } });
    expect(visit.status).to.equal(201);
    await visitorSocket(server, ((await visit.json()) as VisitResponse).visitorToken);
    await page.getByText('Kari Nordmann is waiting.').waitFor();
    expect(await page.getByText('Walk In').count()).to.equal(0);
    expect(new URL(page.url()).pathname).to.equal(`/dashboard/link/${org.org.id}`);
    // No session cookie: the dashboard itself asks for a real login.
    expect((await page.context().cookies(server.url)).map((c) => c.name)).to.deep.equal([]);
    await page.goto(`${server.url}/dashboard/`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
  });

  it('a page on an origin the organization does not list cannot frame the visitor view or the professional link page', async () => {
    const { visitorUrl, professionalUrl } = await newConsultation();
    const page = await newPage();
    for (const url of [withOrigin(visitorUrl, intruder.origin), withOrigin(professionalUrl, intruder.origin)]) {
      const refused = new Promise<string>((resolve) => page.on('console', (msg) => /frame-ancestors/.test(msg.text()) && resolve(msg.text())));
      await page.goto(`${intruder.origin}/?${new URLSearchParams({ src: url })}`);
      // Chromium's own words: framing our page violates frame-ancestors, which names only the EHR's origin.
      const said = await refused;
      expect(said).to.contain(server.origin);
      expect(said).to.contain(`frame-ancestors ${ehr.origin}`);
      const frame = await serviceFrame(page);
      expect(frame.url()).not.to.contain(server.origin);
      expect(await messagesOf(page)).to.deep.equal([]);
    }
    // The refused frame ran none of our code: the professional link is still unused, and works where allowed.
    await page.goto(`${ehr.origin}/?${new URLSearchParams({ src: withOrigin(professionalUrl, ehr.origin) })}`);
    await (await serviceFrame(page)).getByText('The visitor is not here yet').waitFor();
  });

  it('a hang-up from another origin is ignored; the same command from the EHR’s origin ends the call', async () => {
    const { visitorUrl, professionalUrl } = await newConsultation();
    const pro = await newPage();
    await pro.goto(`${ehr.origin}/?${new URLSearchParams({ src: withOrigin(professionalUrl, ehr.origin) })}`);
    const proFrame = await serviceFrame(pro);
    await proFrame.getByText('The visitor is not here yet').waitFor();
    const visitor = await newPage();
    await visitor.goto(`${ehr.origin}/?${new URLSearchParams({ src: withOrigin(visitorUrl, ehr.origin) })}`);
    const visitorFrame = await serviceFrame(visitor);
    await visitorFrame.getByRole('button', { name: 'Continue to check-in' }).click();
    await visitorFrame.getByLabel('Your name').fill('Ola Nordmann');
    await visitorFrame.getByRole('button', { name: 'Go to the waiting room' }).click();
    await proFrame.getByRole('button', { name: 'Admit' }).click();
    await waitForMedia(visitorFrame as unknown as Page, (m) => m.framesDecoded > 10, 'the visitor sees the professional');

    // A page of another origin inside the EHR page (an ad, a widget) reaches the call's frame.
    await pro.evaluate((src) => {
      const other = document.createElement('iframe');
      other.id = 'other';
      other.src = src;
      document.body.append(other);
      return new Promise((resolve) => other.addEventListener('load', resolve));
    }, `${intruder.origin}/`);
    // Records what the call's frame receives, after the page's own listener (which so has seen it first).
    await proFrame.evaluate(() => {
      const w = window as unknown as { __received: string[] };
      w.__received = [];
      window.addEventListener('message', (e) => w.__received.push(e.origin));
    });
    const otherFrame = await (await pro.locator('iframe#other').elementHandle())!.contentFrame();
    await otherFrame!.evaluate((source) => window.parent.frames[0]!.postMessage({ source, command: 'hang-up' }, '*'), EMBED_MESSAGE_SOURCE);
    await proFrame.waitForFunction((origin) => (window as unknown as { __received: string[] }).__received.includes(origin), intruder.origin);
    // Ignored: the call goes on (more frames arrive after it) and no call-ended reached the EHR.
    const seen = await waitForMedia(visitorFrame as unknown as Page, () => true, 'frames so far');
    await waitForMedia(visitorFrame as unknown as Page, (m) => m.framesDecoded > seen.framesDecoded + 20, 'the call goes on');
    expect((await messagesOf(pro)).map((m) => m.data.type)).not.to.contain('call-ended');
    await proFrame.getByRole('button', { name: 'End the call' }).waitFor();

    // The same command from the EHR page itself.
    await pro.evaluate((source) => (document.getElementById('consult') as HTMLIFrameElement).contentWindow!.postMessage({ source, command: 'hang-up' }, '*'), EMBED_MESSAGE_SOURCE);
    await proFrame.getByRole('heading', { name: 'The call has ended.' }).waitFor();
    expect((await waitForMessages(pro, 4)).map((m) => m.data.type)).to.deep.equal(['ready', 'visitor-arrived', 'visitor-admitted', 'call-ended']);
  });

  it('the professional view shows the visitor’s national id only when asked, waiting and in the call, and each showing is audited', async () => {
    const s = server.services;
    const { consultation } = await s.consultations.create({ orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null }, 86_400_000);
    // A visitor of the consultation identified with BankID where the organization collects the number.
    const { visitor, visitorToken } = await s.waitingRoom.join(org.room, { name: 'Ola' }, Date.now(), consultation, ['bankid']);
    await storeVisitorIdentity(s, org.org.id, visitor.id, { name: 'Ola Nordmann', birthDate: '1970-01-01', verifiedAt: Date.now(), nationalId: '01017012345' });
    const visitorClient = await visitorSocket(server, visitorToken);
    try {
      expect((await ask(visitorClient, 'visit:enter', {})).ok).to.equal(true);
      const link = await professionalLinkHandler(s, org.org.id, consultation.id, { professionalId: org.professional.id });
      const pro = await newPage();
      await pro.goto(`${ehr.origin}/?${new URLSearchParams({ src: withOrigin(link.url, ehr.origin) })}`);
      const proFrame = await serviceFrame(pro);
      const card = proFrame.getByRole('group', { name: 'Verified with BankID' });
      await card.getByText('Ola Nordmann').waitFor();
      expect(await proFrame.content(), 'not on the page before it is asked for').not.to.contain('01017012345');
      const showings = async () => (await s.audit.list(org.org.id, { action: 'view_identity' })).entries.filter((e) => e.targetId === visitor.id).length;
      await card.getByRole('button', { name: 'Show national identity number' }).click();
      await card.getByText('01017012345').waitFor();
      expect(await showings()).to.equal(1);

      await proFrame.getByRole('button', { name: 'Admit' }).click();
      const inCall = proFrame.getByRole('group', { name: 'Verified with BankID' });
      await proFrame.getByRole('button', { name: 'End the call' }).waitFor();
      expect(await proFrame.content()).not.to.contain('01017012345');
      await inCall.getByRole('button', { name: 'Show national identity number' }).click();
      await inCall.getByText('01017012345').waitFor();
      expect(await showings()).to.equal(2);
    } finally {
      visitorClient.disconnect();
    }
  });
});
