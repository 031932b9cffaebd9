import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, createOrganization, sleep, type TestServer } from '../../signaling/src/test-support/test-server.ts';
import { scanKeys } from '../../signaling/src/test-support/redis-keys.ts';
import { inboundMedia, launchChromium, waitForMedia } from './browser.ts';
import { Consultation } from './consultation.ts';
import { beepsHeard, listenInApp, spyOnCall, type Spy } from './spy/spy.ts';

/*
 * End-to-end encryption in real calls: real Chromium on both sides, our signaling, real Redis and the
 * real SFU. What each person sees, what someone with the SFU's access gets (a "spy" consuming the same
 * producers without keys), and what a departed participant's keys still open.
 */
describe('end-to-end encryption of calls (real Chromium, SFU, Redis)', function () {
  this.timeout(120_000);

  let server: TestServer;
  let browser: Browser;
  let org: Awaited<ReturnType<typeof createOrganization>>;
  let scene: Consultation;
  const spies: Spy[] = [];

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services, { name: 'Fjord Clinic' });
    browser = await launchChromium();
    scene = new Consultation(browser, server, org);
  });
  after(async () => {
    await scene?.end();
    await browser?.close();
    await server?.close();
  });
  afterEach(async function () {
    for (const s of spies.splice(0)) await s.close().catch(() => undefined);
    await scene.end(this.currentTest?.state === 'failed' ? this.currentTest.title : undefined);
  });

  async function spy(callId: string, mode: 'plain' | 'capture', from?: string): Promise<Spy> {
    const s = await spyOnCall(browser, server, callId, mode, from);
    spies.push(s);
    return s;
  }

  /** The one active call of the organization (the tests run one at a time). */
  async function activeCallId(): Promise<string> {
    for (const key of await scanKeys(server.redis.client, `{org:${org.org.id}}:call:*`)) {
      const callId = key.split(':').pop()!;
      const call = await server.services.calls.get(org.org.id, callId);
      if (call?.state === 'active') return callId;
    }
    throw new Error('no active call');
  }

  async function admitted(visitorName: string, opts: { visitorInit?: string; proInit?: string } = {}): Promise<{ pro: Page; visitor: Page; callId: string }> {
    const pro = await scene.professionalLogsIn(opts.proInit);
    const visitor = await scene.visitorChecksIn(visitorName, opts.visitorInit);
    await pro.getByRole('button', { name: `Admit ${visitorName}` }).click();
    return { pro, visitor, callId: await waitForCall() };
  }

  async function waitForCall(): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const id = await activeCallId().catch(() => undefined);
      if (id) return id;
      await sleep(100);
    }
    throw new Error('the call did not start');
  }

  const safetyCodeOf = async (page: Page) => (await page.getByTestId('safety-code').textContent())!.trim();

  it('both sides decode video and hear each other; a spy on the SFU decodes no video and hears no beep; both see the lock and the same safety code', async () => {
    const { pro, visitor, callId } = await admitted('Ola Nordmann');
    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor receives video and audio');
    await waitForMedia(pro, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional receives video and audio');

    for (const page of [pro, visitor]) await page.getByText('End-to-end encrypted').first().waitFor();
    const code = await safetyCodeOf(visitor);
    expect(code).to.match(/^\d{3} \d{3}$/);
    expect(await safetyCodeOf(pro)).to.equal(code);

    const keyless = await spy(callId, 'plain');
    const [heardByVisitor, heardBySpy] = await Promise.all([listenInApp(visitor, 3000), keyless.listen(3000)]);
    const stats = await keyless.stats();
    // The spy did get the media (so "nothing decoded" is not "nothing arrived")...
    expect(stats.videoPackets, 'video packets reached the spy').to.be.above(30);
    expect(stats.audioPackets, 'audio packets reached the spy').to.be.above(30);
    // ...but not one video frame decodes, and the beep the keyed receiver hears is not in the spy's audio.
    expect(stats.framesDecoded, 'video frames decoded by the spy').to.equal(0);
    const beeps = beepsHeard(heardByVisitor);
    console.log(`      beeps heard in 3 s: visitor ${beeps}, spy ${beepsHeard(heardBySpy)}; spy loudest window rms ${Math.max(...heardBySpy.map((w) => w.rms)).toFixed(3)}`);
    expect(beeps, 'beeps the visitor hears').to.be.at.least(3);
    expect(beepsHeard(heardBySpy), 'beeps the spy hears').to.equal(0);
    expect((await inboundMedia(visitor)).framesDecoded).to.be.above(0);
  });
});
