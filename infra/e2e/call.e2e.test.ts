import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { cameraFailsWith, inboundMedia, waitForMedia } from './browser.ts';
import { consultationSuite, passDeviceCheck } from './consultation.ts';
import { unusedCode } from '../../signaling/src/test-support/test-server.ts';
import { eventually } from '../../signaling/src/test-support/eventually.ts';
import { codeFor } from '../../signaling/src/auth/second-factor.ts';

/*
 * A visitor and a professional in real Chromium (fake camera and microphone), through our signaling
 * server, real Redis and real mediasoup workers: what each person sees and hears.
 */
describe('a consultation end to end (real Chromium, Redis, mediasoup)', function () {
  this.timeout(120_000);

  const suite = consultationSuite('Fjord Clinic');

  const page = (init?: (() => void) | string) => suite.scene.page(init);
  const professionalLogsIn = () => suite.scene.professionalLogsIn();
  const visitorChecksIn = (name: string, init?: (() => void) | string) => suite.scene.visitorChecksIn(name, init);

  /**
   * `name`'s tile on `page`: one video, playing a picture, not muted, named for them. (Each tile's video is
   * made ahead of the call screen and moved into it: it must arrive whole.)
   */
  const seesAndHears = (page: Page, name: string) =>
    eventually(
      async () => {
        const videos = page.getByRole('figure').filter({ hasText: name }).locator('video');
        expect(await videos.count(), `video elements in ${name}'s tile`).to.equal(1);
        const { width, ...state } = await videos.evaluate((v: HTMLVideoElement) => ({ width: v.videoWidth, paused: v.paused, muted: v.muted, label: v.getAttribute('aria-label') }));
        expect(state).to.deep.equal({ paused: false, muted: false, label: name });
        expect(width, 'the picture\'s width').to.be.above(0);
      },
      { what: `${name}'s picture shown and heard` },
    );

  it('admits a visitor into a call with video and sound both ways, mute and camera state, hang-up and history', async () => {
    const pro = await professionalLogsIn();
    const visitor = await visitorChecksIn('Ola Nordmann');
    // The preview stays on while waiting.
    await visitor.getByLabel('Your camera').waitFor();

    const row = pro.getByRole('listitem').filter({ hasText: 'Ola Nordmann' });
    await row.waitFor();
    await expect(await row.textContent()).to.match(/waiting for 0 min/);
    await pro.getByRole('button', { name: 'Admit Ola Nordmann' }).click();

    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor receives video and audio');
    await waitForMedia(pro, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional receives video and audio');
    // What each person sees: the other's tile shows their picture, with their sound on.
    await seesAndHears(visitor, suite.org.professional.name);
    await seesAndHears(pro, 'Ola Nordmann');
    // Each side sees how the other's connection is doing (measured every 5 s; loopback is good).
    await visitor.getByRole('figure').filter({ hasText: suite.org.professional.name }).getByText('network good').waitFor({ timeout: 15_000 });
    await pro.getByRole('figure').filter({ hasText: 'Ola Nordmann' }).getByText('network good').waitFor({ timeout: 15_000 });

    // Mute and camera off show on the other side, and come back.
    await visitor.getByRole('button', { name: 'Mute microphone' }).click();
    await pro.getByText('Ola Nordmann has muted their microphone').waitFor();
    await visitor.getByRole('button', { name: 'Unmute microphone' }).click();
    await pro.getByText('Ola Nordmann has muted their microphone').waitFor({ state: 'detached' });
    await pro.getByRole('button', { name: 'Turn camera off' }).click();
    await visitor.getByText(`${suite.org.professional.name} has turned their camera off`).waitFor();
    await pro.getByRole('button', { name: 'Turn camera on' }).click();
    await visitor.getByText(`${suite.org.professional.name} has turned their camera off`).waitFor({ state: 'detached' });
    const before = (await inboundMedia(visitor)).framesDecoded;
    await waitForMedia(visitor, (m) => m.framesDecoded > before + 10, 'video flows again after camera on');

    // Switching the microphone goes through the device picker and keeps the sound flowing.
    await visitor.getByText('Devices').click();
    const mics = visitor.getByLabel('Microphone');
    const options = await mics.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    await mics.selectOption(options[options.length - 1]!);
    const energy = (await inboundMedia(pro)).totalAudioEnergy;
    await waitForMedia(pro, (m) => m.totalAudioEnergy > energy, 'sound after switching microphone');

    // Switching the camera too: the professional keeps receiving video.
    const cameras = visitor.getByLabel('Camera');
    const cameraIds = await cameras.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    await cameras.selectOption(cameraIds[cameraIds.length - 1]!);
    const frames = (await inboundMedia(pro)).framesDecoded;
    await waitForMedia(pro, (m) => m.framesDecoded > frames + 10, 'video after switching camera');

    await pro.waitForTimeout(1500); // a call with a length
    await visitor.getByRole('button', { name: 'Hang up' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
    await pro.getByRole('heading', { name: 'The call has ended.' }).waitFor();
    expect(await visitor.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('consult.visit.')))).to.deep.equal([]);

    await pro.getByRole('button', { name: 'Back to the waiting room' }).click();
    await pro.getByRole('button', { name: 'History' }).click();
    const call = pro.getByRole('row').filter({ hasText: 'Ola Nordmann' });
    await call.waitFor();
    const seconds = Number(await call.locator('[data-length-seconds]').getAttribute('data-length-seconds'));
    expect(seconds).to.be.at.least(1);
    await pro.close();
  });

  it("sets the professional's media up while someone waits, sends nothing before the admission, and the admitted visitor sees them", async () => {
    const sent = (p: Page) =>
      p.evaluate(async () => {
        const pcs = (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections;
        let bytes = 0;
        let connected = 0;
        for (const pc of pcs) {
          if (pc.connectionState === 'connected') connected++;
          (await pc.getStats()).forEach((r: { type: string; bytesSent?: number }) => {
            if (r.type === 'outbound-rtp') bytes += r.bytesSent ?? 0;
          });
        }
        return { bytes, connected };
      });
    const pro = await professionalLogsIn();
    const visitor = await visitorChecksIn('Siri Lund');
    await pro.getByRole('button', { name: 'Admit Siri Lund' }).waitFor();
    // The ready call: the dashboard's send transport connects while the visitor waits, and so does its
    // receiving one (ICE and DTLS done before the click, not when the visitor's first track arrives)...
    await eventually(async () => (await sent(pro)).connected === 2, { what: 'the ready call connected both ways', intervalMs: 100 });
    expect((await sent(pro)).connected, 'ready call connected before the admission').to.be.at.least(1);
    expect((await sent(pro)).connected, 'ready call: sending and receiving transports connected before the admission').to.equal(2);
    // ...and stays silent: no media leaves the professional's browser until someone is admitted.
    await pro.waitForTimeout(500);
    const before = (await sent(pro)).bytes;
    await pro.waitForTimeout(1500);
    expect((await sent(pro)).bytes - before, 'bytes sent while ready').to.equal(0);

    await pro.getByRole('button', { name: 'Admit Siri Lund' }).click();
    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor receives the professional');
    await waitForMedia(pro, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional receives the visitor');
    expect((await sent(pro)).bytes, 'bytes sent once admitted').to.be.above(before + 10_000);
    // The call screen's render waits for the visitor's first track to be set up on this page (their key and
    // media are not held up behind it), or, if that takes long, for RENDER_HELD_MS (400) after the admission.
    const marks = await pro.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name.replace('consult:', ''), m.startTime])));
    const firstTrack = Math.min(marks['created-video'] ?? Infinity, marks['created-audio'] ?? Infinity);
    expect(marks['call-screen'], 'call screen rendered').to.be.a('number');
    expect(marks['call-screen']!, 'the call screen renders after the first track, or when the wait for it ends').to.be.at.least(Math.min(firstTrack, marks['admitted']! + 400) - 1);
    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });

  it("the visitor's transports are connected in its join (a certificate made while waiting): the page sends no connect request, and media flows both ways", async () => {
    const pro = await professionalLogsIn();
    const visitor = await page();
    const sent: string[] = [];
    visitor.on('websocket', (ws) => ws.on('framesent', (f) => void (typeof f.payload === 'string' && sent.push(f.payload))));
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await suite.scene.checksIn(visitor, 'Nils Lie');
    await pro.getByRole('button', { name: 'Admit Nils Lie' }).click();
    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor receives the professional');
    await waitForMedia(pro, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional receives the visitor');
    const join = sent.find((frame) => frame.includes('"call:join"'));
    expect(join, 'the join').to.be.a('string').and.include('"dtlsParameters"');
    expect(sent.filter((frame) => frame.includes('media:connect-transport')), 'connect requests').to.deep.equal([]);
    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });

  it('gives media back to both sides when the mediasoup worker dies mid-call', async () => {
    const pro = await professionalLogsIn();
    const visitor = await visitorChecksIn('Kari Nordmann');
    await pro.getByRole('button', { name: 'Admit Kari Nordmann' }).click();
    await waitForMedia(visitor, (m) => m.framesDecoded > 0, 'visitor video before the crash');
    await waitForMedia(pro, (m) => m.framesDecoded > 0, 'professional video before the crash');

    const pids = suite.server.services.media.workerPids;
    // Right after the kill the old peer connections still look open (ICE takes a while to notice), and
    // their counters still hold what they decoded before: only connections made after it may count.
    const markOld = (page: Page) => page.evaluate(() => (window.__peerConnections ?? []).forEach((pc) => ((pc as { beforeCrash?: boolean }).beforeCrash = true)));
    await markOld(visitor);
    await markOld(pro);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await eventually(() => suite.server.services.media.workerPids.length === pids.length && !suite.server.services.media.workerPids.some((p) => pids.includes(p)), {
      what: 'the dead workers replaced',
      timeoutMs: 30_000,
    });
    const oldOnesClosed = (page: Page) =>
      page.evaluate(() => (window.__peerConnections ?? []).filter((pc) => (pc as { beforeCrash?: boolean }).beforeCrash).every((pc) => pc.connectionState === 'closed' || pc.signalingState === 'closed'));
    await eventually(async () => (await oldOnesClosed(visitor)) && (await oldOnesClosed(pro)), { what: 'the peer connections from before the crash closed', timeoutMs: 30_000 });

    // New peer connections must decode again.
    await waitForMedia(visitor, (m) => m.openConnections > 0 && m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor media after the crash', 30_000);
    await waitForMedia(pro, (m) => m.openConnections > 0 && m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional media after the crash', 30_000);
    expect(suite.server.services.media.workerPids).to.have.length(pids.length);
    expect(suite.server.services.media.workerPids.some((p) => pids.includes(p))).to.equal(false);
    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });

  it('brings a visitor who reloads, or closes and reopens the tab, back to the same place', async () => {
    const pro = await professionalLogsIn();
    const visitor = await visitorChecksIn('Per Hansen');
    await pro.getByRole('listitem').filter({ hasText: 'Per Hansen' }).waitFor();

    await visitor.reload();
    await visitor.getByRole('heading', { name: 'You are in the waiting room' }).waitFor();
    const row = pro.getByRole('listitem').filter({ hasText: 'Per Hansen' });
    await row.getByText('online').waitFor();
    const context = visitor.context();
    await visitor.close();
    // The professional sees the connection go, and the visitor keeps their place meanwhile.
    await row.getByText('connection lost').waitFor();
    const reopened = await context.newPage();
    await reopened.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await reopened.getByRole('heading', { name: 'You are in the waiting room' }).waitFor();
    await row.getByText('online').waitFor();
    expect(await pro.getByRole('listitem').filter({ hasText: 'Per Hansen' }).count()).to.equal(1);

    await reopened.getByRole('button', { name: 'Leave the waiting room' }).click();
    await reopened.getByRole('heading', { name: 'You have left the waiting room.' }).waitFor();
    await pro.getByRole('listitem').filter({ hasText: 'Per Hansen' }).waitFor({ state: 'detached' });
  });

  it('lets a visitor whose camera is blocked wait and talk with sound only', async () => {
    const visitor = await page(cameraFailsWith('NotAllowedError'));
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await visitor.getByRole('alert').filter({ hasText: 'Your browser has blocked the camera' }).waitFor();
    await suite.scene.checksIn(visitor, 'Lise Berg');

    const pro = await professionalLogsIn();
    await pro.getByRole('button', { name: 'Admit Lise Berg' }).click();
    await waitForMedia(pro, (m) => m.totalAudioEnergy > 0, 'professional hears the audio-only visitor');
    await waitForMedia(visitor, (m) => m.framesDecoded > 0, 'audio-only visitor still sees the professional');
    expect((await inboundMedia(pro)).framesDecoded).to.equal(0);
    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });

  it('on a connection too weak for video the call goes on with sound only, says so, and video comes back when asked for', async () => {
    // The visitor's browser measures heavy packet loss once the test says so (its own statistics, altered).
    const weakNetwork = `(() => {
      const original = RTCPeerConnection.prototype.getStats;
      RTCPeerConnection.prototype.getStats = async function (...args) {
        const report = await original.apply(this, args);
        if (!window.__weakNetwork) return report;
        const altered = new Map();
        report.forEach((s, k) => altered.set(k, s.type === 'inbound-rtp' ? { ...s, packetsLost: Math.round((s.packetsReceived || 0) / 3) } : s));
        return altered;
      };
    })()`;
    const pro = await professionalLogsIn();
    const visitor = await visitorChecksIn('Eva Sund', weakNetwork);
    await pro.getByRole('button', { name: 'Admit Eva Sund' }).click();
    await waitForMedia(visitor, (m) => m.framesDecoded > 10 && m.totalAudioEnergy > 0, 'visitor sees and hears the professional');
    await visitor.evaluate(() => ((window as unknown as { __weakNetwork: boolean }).__weakNetwork = true));

    // Two poor measurements (5 s apart) later: sound only, both ways, and the visitor is told why.
    await visitor.getByText('Your connection is weak, so video is paused').waitFor({ timeout: 20_000 });
    await pro.getByText('Eva Sund has turned their camera off').waitFor();
    await visitor.waitForTimeout(1000);
    const before = await inboundMedia(visitor);
    await visitor.waitForTimeout(2000);
    const after = await inboundMedia(visitor);
    expect(after.framesDecoded - before.framesDecoded, 'video frames while sound only').to.be.at.most(2);
    expect(after.totalAudioEnergy, 'sound goes on').to.be.above(before.totalAudioEnergy);

    await visitor.getByRole('button', { name: 'Try video anyway' }).click();
    await visitor.getByText('Your connection is weak, so video is paused').waitFor({ state: 'detached' });
    await waitForMedia(visitor, (m) => m.framesDecoded > after.framesDecoded + 10, 'video again');
    await pro.getByText('Eva Sund has turned their camera off').waitFor({ state: 'detached' });
    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });

  it('works from the keyboard alone, and every field has a label and every button a name, in both languages', async () => {
    /** Form controls without an accessible name on the page as it is now (empty: none). */
    const unnamed = (p: Page) =>
      // (No named helper functions inside: the test runner's compiler would wrap them in a helper the page lacks.)
      p.evaluate(() =>
        [...document.querySelectorAll('button, input, select, textarea, summary')]
          .filter((el) => {
            if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
            const labels = [...((el as HTMLInputElement).labels ?? [])];
            if (labels.some((l) => l.textContent?.trim())) return false;
            return !((el.tagName === 'BUTTON' || el.tagName === 'SUMMARY') && el.textContent?.trim());
          })
          .map((el) => el.outerHTML.slice(0, 80)),
      );
    /** Presses Tab until the focused element matches, as a keyboard user would; fails after 40 presses. */
    async function tabTo(p: Page, matches: (el: { tag: string; name: string }) => boolean, what: string): Promise<void> {
      for (let i = 0; i < 40; i++) {
        await p.keyboard.press('Tab');
        const focused = await p.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          const label = el && (el as HTMLInputElement).labels?.[0]?.textContent;
          return { tag: el?.tagName ?? '', name: el?.getAttribute('aria-label') || label || el?.textContent || '' };
        });
        if (matches(focused)) return;
      }
      throw new Error(`could not reach ${what} with Tab`);
    }

    const visitor = await page();
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await passDeviceCheck(visitor);
    await visitor.getByLabel('Your name').waitFor();
    expect(await unnamed(visitor), 'visitor check-in').to.deep.equal([]);
    await tabTo(visitor, (el) => el.tag === 'INPUT' && el.name.includes('Your name'), 'the name field');
    await visitor.keyboard.type('Nils Tastatur');
    await visitor.keyboard.press('Enter');
    await visitor.getByText(`${suite.org.professional.name} has been told you are here.`).waitFor();
    expect(await unnamed(visitor), 'visitor waiting').to.deep.equal([]);

    const pro = await page();
    await pro.goto(`${suite.server.url}/dashboard/`);
    await pro.getByLabel('E-mail').waitFor();
    expect(await unnamed(pro), 'login').to.deep.equal([]);
    await tabTo(pro, (el) => el.tag === 'INPUT' && el.name.includes('E-mail'), 'the e-mail field');
    await pro.keyboard.type(suite.org.professional.email);
    await pro.keyboard.press('Tab');
    await pro.keyboard.type(suite.org.professional.password);
    await pro.keyboard.press('Enter');
    // The second factor, from the keyboard too: set up at the first login, or the app's current code.
    const setup = pro.getByRole('heading', { name: 'Set up two-step verification' });
    await setup.or(pro.getByRole('heading', { name: 'Two-step verification' })).waitFor();
    expect(await unnamed(pro), 'second factor').to.deep.equal([]);
    const code = (await setup.isVisible())
      ? codeFor((await pro.getByTestId('totp-secret').textContent())!.trim())
      : await unusedCode(suite.server, suite.org.professional.id, suite.org.org.id);
    await tabTo(pro, (el) => el.tag === 'INPUT' && el.name.includes('authenticator app'), 'the code field');
    await pro.keyboard.type(code);
    await pro.keyboard.press('Enter');
    if (await setup.isVisible().catch(() => false)) await setup.waitFor({ state: 'detached' });
    const recovery = pro.getByRole('heading', { name: 'Your recovery codes' });
    if (await recovery.isVisible().catch(() => false)) {
      expect(await unnamed(pro), 'recovery codes').to.deep.equal([]);
      await tabTo(pro, (el) => el.name === 'I have stored them', 'the button under the recovery codes');
      await pro.keyboard.press('Enter');
    }
    await pro.getByRole('button', { name: 'Admit Nils Tastatur' }).waitFor();
    await pro.getByRole('heading', { name: 'Your camera and microphone' }).waitFor();
    expect(await unnamed(pro), 'waiting list').to.deep.equal([]);
    await tabTo(pro, (el) => el.name === 'Admit Nils Tastatur', 'the Admit button');
    await pro.keyboard.press('Enter');
    await waitForMedia(visitor, (m) => m.framesDecoded > 0, 'the visitor sees the professional');
    expect(await unnamed(visitor), 'visitor call').to.deep.equal([]);
    expect(await unnamed(pro), 'professional call').to.deep.equal([]);

    // The same in Norwegian, switched from the keyboard.
    await tabTo(visitor, (el) => el.tag === 'SELECT' && el.name.includes('Language'), 'the language switch');
    // The languages in order: English, Norsk bokmål, Norsk nynorsk, Svenska, Dansk.
    await visitor.keyboard.press('Home');
    await visitor.keyboard.press('ArrowDown');
    await visitor.getByRole('button', { name: 'Slå av mikrofonen' }).waitFor();
    expect(await unnamed(visitor), 'visitor call, Norwegian').to.deep.equal([]);
    await tabTo(visitor, (el) => el.name === 'Slå av mikrofonen', 'the mute button');
    await visitor.keyboard.press('Space');
    await pro.getByText('Nils Tastatur has muted their microphone').waitFor();
    await tabTo(visitor, (el) => el.name === 'Legg på', 'the hang-up button');
    await visitor.keyboard.press('Enter');
    await pro.getByRole('heading', { name: 'The call has ended.' }).waitFor();
  });

  it('tells a visitor without a camera so, and lets them wait with sound only', async () => {
    const visitor = await page(cameraFailsWith('NotFoundError'));
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await visitor.getByRole('alert').filter({ hasText: 'No camera was found. You can take part with sound only.' }).waitFor();
    await suite.scene.checksIn(visitor, 'Uten Kamera');
    await visitor.getByRole('alert').filter({ hasText: 'No camera was found' }).waitFor();
    await visitor.getByRole('button', { name: 'Leave the waiting room' }).click();
    await visitor.getByRole('heading', { name: 'You have left the waiting room.' }).waitFor();
  });

  it('shows the check-in rules and the invalid-link page a visitor would meet', async () => {
    const visitor = await page();
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await passDeviceCheck(visitor);
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitor.getByRole('alert').filter({ hasText: 'Please enter your name.' }).waitFor();
    await visitor.getByLabel('Your name').fill('x'.repeat(101));
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitor.getByRole('alert').filter({ hasText: 'at most 100 characters' }).waitFor();

    // Norwegian through the switch, remembered on reload.
    await visitor.getByLabel('Language').selectOption('nb');
    await visitor.getByRole('button', { name: 'Gå til venterommet' }).waitFor();
    await visitor.reload();
    await passDeviceCheck(visitor);
    await visitor.getByLabel('Navnet ditt').waitFor();

    const response = await visitor.goto(`${suite.server.url}/r/no-such-room-here`);
    expect(response?.status()).to.equal(404);
    await visitor.getByRole('heading', { name: 'Denne lenken er ikke gyldig' }).waitFor();
  });

  it('a link with broken percent-encoding shows the invalid-link page, not an error', async () => {
    const visitor = await page();
    for (const link of ['/r/%', '/c/%', '/r/%E0%A4%A', '/c/abc%zz']) {
      const response = await visitor.goto(`${suite.server.url}${link}`);
      expect(response?.status(), link).to.equal(404);
      await visitor.getByRole('heading', { name: 'This link is not valid' }).waitFor({ timeout: 5000 });
      await visitor.getByText('Check the link you were given, or contact the person who sent it.').waitFor({ timeout: 5000 });
    }
  });
});
