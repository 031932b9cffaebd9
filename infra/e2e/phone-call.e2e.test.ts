import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_FLAGS, inboundMedia, launchChromium, recordPeerConnections, videoStreamsDecoding, waitForMedia } from './browser.ts';
import { Consultation } from './consultation.ts';
import { checkScreen, DESKTOP, newDeviceContext, PHONE_LANDSCAPE, PHONE_PORTRAIT, PHONE_TALL, TABLET, type Viewport } from './phone-checks.ts';
import { addMember, createOrganization, sessionCookieFor, startTestServer, type TestOrganization, type TestServer } from '../../signaling/src/test-support/test-server.ts';
import { sessionCookieName } from '../../signaling/src/http/request-guards.ts';
import { eventually } from '../../signaling/src/test-support/eventually.ts';

/*
 * A call on a phone, in real Chromium with mobile emulation (touch, phone viewports), through our server,
 * real Redis and real mediasoup: what the visitor holding the phone sees and can reach, the camera switch,
 * and the screen kept awake. The professional is on a tablet or a computer.
 */

/**
 * Chromium's fake capture with more than one camera (measured): `--use-fake-device-for-media-stream=
 * device-count=3` lists fake_device_0, fake_device_1 and fake_device_2. fake_device_1 is a depth camera
 * (16-bit grey, Y16): it plays in a <video>, but the video encoder gets no frame from it, so the other side
 * would see the picture freeze; no phone offers such a camera for calls, so the pages here do not see it
 * (onlyColourCameras), leaving two ordinary cameras. Neither says which way it faces
 * (getCapabilities().facingMode is empty, and `facingMode: { exact }` is refused with OverconstrainedError),
 * as on a laptop with a second camera: the switch then goes to the next camera by device id.
 */
const TWO_CAMERAS = CHROMIUM_FLAGS.map((f) => (f === '--use-fake-device-for-media-stream' ? '--use-fake-device-for-media-stream=device-count=3' : f));
const onlyColourCameras = `(() => {
  const enumerate = navigator.mediaDevices.enumerateDevices.bind(navigator.mediaDevices);
  navigator.mediaDevices.enumerateDevices = async () => (await enumerate()).filter((d) => d.label !== 'fake_device_1');
})()`;

/**
 * An init script watching the Wake Lock API: how often the page asked for the screen to stay on, and
 * whether it still holds the lock. Headless Chromium refuses every request (NotAllowedError, measured), so
 * a refused request is answered with a stand-in lock, as a phone's browser grants one; `lose()` takes the
 * lock away as a browser does when the page is hidden.
 */
const watchWakeLock = `(() => {
  const log = { requested: 0, released: 0, held: 0, current: null };
  window.__wakeLock = log;
  const wakeLock = navigator.wakeLock;
  if (!wakeLock) return;
  const request = wakeLock.request.bind(wakeLock);
  wakeLock.request = async (type) => {
    log.requested++;
    let lock = await request(type).catch(() => null);
    if (!lock) {
      lock = new EventTarget();
      lock.type = type;
      lock.released = false;
      lock.release = async () => { lock.released = true; lock.dispatchEvent(new Event('release')); };
    }
    const release = lock.release.bind(lock);
    lock.release = async () => { if (!lock.released) { log.held--; log.released++; } return release(); };
    log.held++;
    log.current = lock;
    return lock;
  };
  log.lose = () => {
    const lock = log.current;
    if (!lock || lock.released) return;
    log.held--;
    lock.released = true;
    lock.dispatchEvent(new Event('release'));
  };
})()`;

/**
 * An init script making the two fake cameras behave as a phone's: fake_device_0 faces the person
 * (`user`), fake_device_2 faces away (`environment`), in the track's settings and capabilities, and a
 * request for `facingMode: { exact }` opens the camera facing that way. What the page asked for is kept
 * in `window.__facingAsked`.
 */
const phoneCameras = `(() => {
  const facing = { fake_device_0: 'user', fake_device_2: 'environment' };
  window.__facingAsked = [];
  const settings = MediaStreamTrack.prototype.getSettings;
  MediaStreamTrack.prototype.getSettings = function () {
    const s = settings.call(this);
    return facing[this.label] ? { ...s, facingMode: facing[this.label] } : s;
  };
  const capabilities = MediaStreamTrack.prototype.getCapabilities;
  MediaStreamTrack.prototype.getCapabilities = function () {
    const c = capabilities.call(this);
    return facing[this.label] ? { ...c, facingMode: [facing[this.label]] } : c;
  };
  const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const wanted = constraints && constraints.video && constraints.video.facingMode;
    if (!wanted) return getUserMedia(constraints);
    const way = typeof wanted === 'string' ? wanted : wanted.exact || wanted.ideal;
    window.__facingAsked.push(way);
    const label = Object.keys(facing).find((l) => facing[l] === way);
    const camera = (await navigator.mediaDevices.enumerateDevices()).find((d) => d.label === label);
    if (!camera) throw new DOMException('no camera facing ' + way, 'OverconstrainedError');
    const { facingMode, ...video } = constraints.video;
    return getUserMedia({ ...constraints, video: { ...video, deviceId: { exact: camera.deviceId } } });
  };
})()`;

interface WakeLockLog {
  requested: number;
  released: number;
  held: number;
}
const wakeLockOf = (page: Page): Promise<WakeLockLog> =>
  page.evaluate(() => {
    const { requested, released, held } = (window as unknown as { __wakeLock: WakeLockLog }).__wakeLock;
    return { requested, released, held };
  });

/** The camera track each video sender of the page sends (its fake device's label), senders told apart by a mark. */
const videoSenders = (page: Page): Promise<{ mark: number; label: string; trackId: string }[]> =>
  page.evaluate(() => {
    const pcs = (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections;
    const w = window as unknown as { __senderMarks?: WeakMap<RTCRtpSender, number>; __nextMark?: number };
    w.__senderMarks ??= new WeakMap();
    const out: { mark: number; label: string; trackId: string }[] = [];
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      for (const sender of pc.getSenders()) {
        if (sender.track?.kind !== 'video') continue;
        if (!w.__senderMarks.has(sender)) w.__senderMarks.set(sender, (w.__nextMark = (w.__nextMark ?? 0) + 1));
        out.push({ mark: w.__senderMarks.get(sender)!, label: sender.track.label, trackId: sender.track.id });
      }
    }
    return out;
  });

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
const boxOf = async (page: Page, selector: string): Promise<Box> => (await page.locator(selector).first().boundingBox())!;
const inside = (inner: Box, outer: { width: number; height: number }) =>
  inner.x >= -0.5 && inner.y >= -0.5 && inner.x + inner.width <= outer.width + 0.5 && inner.y + inner.height <= outer.height + 0.5;
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Drags our own picture by its middle to (x, y) as a finger or mouse would, and answers where it ended. */
async function dragSelf(page: Page, x: number, y: number): Promise<Box> {
  const from = await boxOf(page, '.call .self');
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move((from.x + x) / 2, (from.y + y) / 2, { steps: 4 });
  await page.mouse.move(x, y, { steps: 4 });
  await page.mouse.up();
  return boxOf(page, '.call .self');
}

/**
 * What a person holding the phone must see: the other person large, our own picture small and inside the
 * screen, every control inside the screen and in the lower part of it (thumb reach), and our picture clear
 * of the controls. Then our picture moves where it is dragged and stays inside the screen, clear of the
 * controls, even when dragged onto them.
 */
async function looksRightOnPhone(page: Page, viewport: Viewport): Promise<void> {
  const screen = { width: viewport.width, height: viewport.height };
  const other = await boxOf(page, '.call .remote');
  const self = await boxOf(page, '.call .self');
  const controls = await boxOf(page, '.call .controls');
  expect(other.width * other.height, 'the other person fills most of the screen').to.be.above(0.45 * screen.width * screen.height);
  expect(self.width * self.height, 'our own picture is small').to.be.below((other.width * other.height) / 4);
  expect(inside(self, screen), `our own picture inside the screen: ${JSON.stringify(self)}`).to.equal(true);
  expect(overlap(self, controls), 'our own picture clear of the controls').to.equal(false);
  for (const button of await page.locator('.call .controls > button, .call .controls summary').all()) {
    const b = (await button.boundingBox())!;
    expect(inside(b, screen), `${await button.textContent()} inside the screen`).to.equal(true);
    // In thumb reach: the lower half of a phone held upright; anywhere along the side when turned.
    if (viewport.height > viewport.width) expect(b.y, `${await button.textContent()} in the lower part`).to.be.above(screen.height / 2);
  }

  const moved = await dragSelf(page, 12 + self.width / 2, other.y + 12 + self.height / 2);
  expect(Math.abs(moved.x - self.x) + Math.abs(moved.y - self.y), 'our own picture moved').to.be.above(40);
  expect(inside(moved, screen), 'dragged picture inside the screen').to.equal(true);
  // Dragged onto the controls and past the screen's corner: it stops at the edge of the call's picture.
  const pushed = await dragSelf(page, screen.width + 50, controls.y + controls.height / 2);
  expect(inside(pushed, screen), `pushed picture inside the screen: ${JSON.stringify(pushed)}`).to.equal(true);
  expect(overlap(pushed, await boxOf(page, '.call .controls')), 'pushed picture clear of the controls').to.equal(false);
}

describe('a call on a phone (real Chromium with mobile emulation, Redis, mediasoup)', function () {
  this.timeout(240_000);

  let server: TestServer;
  let org: TestOrganization;
  let browser: Browser;
  let scene: Consultation;
  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services, { name: 'Phone Clinic' });
    browser = await launchChromium(TWO_CAMERAS);
    scene = new Consultation(browser, server, org);
  });
  after(async () => {
    await scene?.end();
    await browser?.close();
    await server?.close();
  });
  afterEach(async function () {
    await scene.end(this.currentTest?.state === 'failed' ? this.currentTest.title : undefined);
  });

  async function deviceContext(viewport: Viewport) {
    const context = await newDeviceContext(browser, viewport, server.origin);
    scene.contexts.push(context);
    await context.addInitScript(recordPeerConnections);
    await context.addInitScript(watchWakeLock);
    await context.addInitScript(onlyColourCameras);
    return context;
  }

  async function visitorOn(viewport: Viewport, name: string, init?: string): Promise<Page> {
    const context = await deviceContext(viewport);
    if (init) await context.addInitScript(init);
    const visitor = await context.newPage();
    await visitor.goto(`${server.url}/r/${org.room.slug}`);
    await scene.checksIn(visitor, name);
    return visitor;
  }

  async function professionalOn(viewport: Viewport): Promise<Page> {
    const context = await deviceContext(viewport);
    const value = await sessionCookieFor(server, org.org.id, org.professional.id);
    await context.addCookies([{ name: sessionCookieName(false), value, url: server.url }]);
    const pro = await context.newPage();
    await pro.goto(`${server.url}/dashboard/`);
    await pro.getByRole('heading', { name: /Waiting room/ }).waitFor();
    return pro;
  }

  async function inCall(pro: Page, visitor: Page, name: string): Promise<void> {
    await pro.getByRole('button', { name: `Admit ${name}` }).click();
    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor sees and hears the professional');
    await waitForMedia(pro, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional sees and hears the visitor');
    for (const page of [visitor, pro]) await page.getByTestId('safety-code').waitFor();
  }

  it('on a 360x640 phone: the professional large, our picture small and movable, controls in reach; the camera switch keeps the call encrypted and is kept when the phone turns and after a reconnection; the screen stays awake until the end', async () => {
    const pro = await professionalOn(TABLET);
    const visitor = await visitorOn(PHONE_PORTRAIT, 'Ola Nordmann');
    expect((await wakeLockOf(visitor)).requested, 'no wake lock before the call').to.equal(0);
    await inCall(pro, visitor, 'Ola Nordmann');

    const problems = [...(await checkScreen(visitor, 'call-visitor', PHONE_PORTRAIT)), ...(await checkScreen(pro, 'call-professional', TABLET))];
    expect(problems).to.deep.equal([]);
    await looksRightOnPhone(visitor, PHONE_PORTRAIT);

    // The screen stays on during the call, and the lock is asked for again when the page is shown again.
    expect(await wakeLockOf(visitor)).to.include({ held: 1 });
    const asked = (await wakeLockOf(visitor)).requested;
    await visitor.evaluate(() => (window as unknown as { __wakeLock: { lose(): void } }).__wakeLock.lose());
    await visitor.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await visitor.waitForFunction(() => (window as unknown as { __wakeLock: WakeLockLog }).__wakeLock.held === 1);
    expect((await wakeLockOf(visitor)).requested).to.equal(asked + 1);

    // The camera switch: the same sender (so the same frame encryption) sends the other camera's track.
    const [before] = await videoSenders(visitor);
    expect(before?.label).to.equal('fake_device_0');
    await visitor.getByRole('button', { name: 'Switch camera' }).click();
    await visitor.waitForFunction(
      () => (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections.some((pc) => pc.getSenders().some((s) => s.track?.label === 'fake_device_2')),
    );
    const [after] = await videoSenders(visitor);
    expect(after, 'the producer’s own sender, with the other camera’s track').to.deep.include({ mark: before!.mark, label: 'fake_device_2' });
    expect(after!.trackId).to.not.equal(before!.trackId);
    // The professional's browser decodes only frames its key opens: frames rising means sealed frames arrive.
    const decoded = (await inboundMedia(pro)).framesDecoded;
    await waitForMedia(pro, (m) => m.framesDecoded > decoded + 20, 'the professional keeps decoding after the switch');
    expect(await pro.getByText('cannot be decrypted').count()).to.equal(0);
    await pro.getByText('End-to-end encrypted').first().waitFor();

    // The phone turns: the chosen camera stays, and the call still fits.
    await visitor.setViewportSize({ width: PHONE_LANDSCAPE.width, height: PHONE_LANDSCAPE.height });
    await visitor.waitForTimeout(500);
    expect(await checkScreen(visitor, 'call-visitor-turned', PHONE_LANDSCAPE)).to.deep.equal([]);
    expect((await videoSenders(visitor)).map((s) => s.label)).to.deep.equal(['fake_device_2']);
    expect(inside(await boxOf(visitor, '.call .self'), PHONE_LANDSCAPE), 'our picture inside the turned screen').to.equal(true);
    await looksRightOnPhone(visitor, PHONE_LANDSCAPE);
    // Turned, the messages and the devices open at the side, over the call.
    await visitor.getByRole('button', { name: 'Messages' }).click();
    await visitor.getByRole('textbox', { name: 'Message' }).waitFor();
    expect(await checkScreen(visitor, 'call-visitor-turned-messages', PHONE_LANDSCAPE)).to.deep.equal([]);
    await visitor.keyboard.press('Escape');
    await visitor.locator('.call summary', { hasText: 'Devices' }).click();
    await visitor.getByLabel('Camera').waitFor();
    expect(await checkScreen(visitor, 'call-visitor-turned-devices', PHONE_LANDSCAPE)).to.deep.equal([]);
    await visitor.locator('.call summary', { hasText: 'Devices' }).click();

    // The media server goes away and the call is joined again: still the chosen camera.
    const sendersBefore = await videoSenders(visitor);
    for (const pid of server.services.media.workerPids) process.kill(pid, 'SIGKILL');
    const senders = await eventually(
      async () => {
        const now = await videoSenders(visitor);
        return now.length > 0 && now[0]!.mark !== sendersBefore[0]!.mark && now;
      },
      { what: 'a new video sender after joining again', timeoutMs: 40_000, intervalMs: 300 },
    );
    expect(senders.map((s) => s.label), 'the camera sent after joining again').to.deep.equal(['fake_device_2']);
    expect(senders[0]!.mark, 'a new sender').to.not.equal(sendersBefore[0]!.mark);
    const again = (await inboundMedia(pro)).framesDecoded;
    await waitForMedia(pro, (m) => m.framesDecoded > again + 20, 'professional sees the visitor again after the reconnection', 40_000);

    // The visitor reloads the page mid-call (or the phone's browser drops it): back in the call, the same camera.
    await visitor.reload();
    await waitForMedia(visitor, (m) => m.framesDecoded > 10, 'the visitor sees the professional again after reloading', 40_000);
    expect((await videoSenders(visitor)).map((s) => s.label), 'the camera sent after reloading').to.deep.equal(['fake_device_2']);
    const reloaded = (await inboundMedia(pro)).framesDecoded;
    await waitForMedia(pro, (m) => m.framesDecoded > reloaded + 20, 'professional sees the visitor after the reload', 40_000);
    expect(await wakeLockOf(visitor), 'the reloaded page keeps the screen on too').to.include({ held: 1 });

    // At the end the lock is let go, on both sides.
    await visitor.getByRole('button', { name: 'Hang up' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
    await pro.getByRole('heading', { name: 'The call has ended.' }).waitFor();
    // Let go when the call screen's effects are cleaned up, which Preact may do just after the end screen is drawn.
    await visitor.waitForFunction(() => (window as unknown as { __wakeLock: WakeLockLog }).__wakeLock.held === 0, undefined, { timeout: 5_000 });
    expect((await wakeLockOf(visitor)).released).to.be.at.least(1);
    await pro.waitForFunction(() => (window as unknown as { __wakeLock: WakeLockLog }).__wakeLock.held === 0, undefined, { timeout: 5_000 });
    expect((await wakeLockOf(pro)).requested).to.be.at.least(1);
  });

  it('on a 390x844 phone: the call fits, messages open as a sheet over the call, devices too, the front/back switch asks for the other facingMode, and a shared screen shows whole', async () => {
    const pro = await professionalOn(DESKTOP);
    const visitor = await visitorOn(PHONE_TALL, 'Kari Nordmann', phoneCameras);
    await inCall(pro, visitor, 'Kari Nordmann');
    expect([...(await checkScreen(visitor, 'call-visitor', PHONE_TALL)), ...(await checkScreen(pro, 'call-professional', DESKTOP))]).to.deep.equal([]);
    await looksRightOnPhone(visitor, PHONE_TALL);

    // A message while the sheet is closed: the button says so; opened, the sheet lies over the call.
    await pro.getByRole('textbox', { name: 'Message' }).fill('Can you hear me?');
    await pro.getByRole('button', { name: 'Send', exact: true }).click();
    const messages = visitor.getByRole('button', { name: 'Messages (New messages: 1)' });
    await messages.click();
    await visitor.getByText('Can you hear me?').waitFor();
    expect(await visitor.evaluate(() => document.activeElement?.id), 'the opened sheet has the focus').to.equal('chat-heading');
    expect(await checkScreen(visitor, 'call-visitor-messages', PHONE_TALL)).to.deep.equal([]);
    await visitor.getByRole('textbox', { name: 'Message' }).fill('Yes, clearly.');
    await visitor.getByRole('textbox', { name: 'Message' }).press('Enter');
    await pro.getByText('Yes, clearly.').waitFor();
    await visitor.getByRole('button', { name: 'Close messages' }).click();
    await visitor.getByRole('textbox', { name: 'Message' }).waitFor({ state: 'hidden' });
    expect(await visitor.evaluate(() => document.activeElement?.getAttribute('aria-controls')), 'the focus back on the Messages button').to.equal('call-chat');
    // Escape closes the sheet too.
    await visitor.getByRole('button', { name: 'Messages' }).click();
    await visitor.getByRole('textbox', { name: 'Message' }).waitFor();
    await visitor.keyboard.press('Escape');
    await visitor.getByRole('textbox', { name: 'Message' }).waitFor({ state: 'hidden' });

    await visitor.locator('.call summary', { hasText: 'Devices' }).click();
    await visitor.getByLabel('Camera').waitFor();
    expect(await checkScreen(visitor, 'call-visitor-devices', PHONE_TALL)).to.deep.equal([]);
    await visitor.locator('.call summary', { hasText: 'Devices' }).click();

    // A phone's cameras tell which way they face: the switch asks for the other way, and our own picture
    // is a mirror only for the camera facing us.
    const selfMirrored = () => visitor.locator('.call .self video').evaluate((v) => v.classList.contains('mirrored'));
    expect(await selfMirrored()).to.equal(true);
    const switchCamera = visitor.getByRole('button', { name: 'Switch camera' });
    await switchCamera.click();
    await visitor.waitForFunction(() => (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections.some((pc) => pc.getSenders().some((s) => s.track?.label === 'fake_device_2')));
    expect(await switchCamera.isEnabled(), 'the switch is ready again').to.equal(true);
    expect(await selfMirrored(), 'the back camera is not mirrored').to.equal(false);
    let decoded = (await inboundMedia(pro)).framesDecoded;
    await waitForMedia(pro, (m) => m.framesDecoded > decoded + 20, 'the professional sees the back camera');
    await switchCamera.click();
    await visitor.waitForFunction(() => (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections.some((pc) => pc.getSenders().some((s) => s.track?.label === 'fake_device_0')));
    expect(await visitor.evaluate(() => (window as unknown as { __facingAsked: string[] }).__facingAsked)).to.deep.equal(['environment', 'user']);
    expect(await selfMirrored()).to.equal(true);
    decoded = (await inboundMedia(pro)).framesDecoded;
    await waitForMedia(pro, (m) => m.framesDecoded > decoded + 20, 'the professional sees the front camera again');

    // The other camera cannot be started (another app holds it): the visitor is told, and keeps the camera they had.
    await visitor.evaluate(() => {
      const devices = navigator.mediaDevices;
      const open = devices.getUserMedia.bind(devices);
      let refusals = 2;
      devices.getUserMedia = async (c) => {
        if (refusals-- > 0) throw new DOMException('Could not start video source', 'NotReadableError');
        return open(c);
      };
    });
    await switchCamera.click();
    await visitor.getByRole('alert').filter({ hasText: 'The other camera could not be started. Your camera is as it was.' }).waitFor();
    await visitor.waitForFunction(() => (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections.some((pc) => pc.getSenders().some((s) => s.track?.label === 'fake_device_0' && s.track.readyState === 'live')));
    decoded = (await inboundMedia(pro)).framesDecoded;
    await waitForMedia(pro, (m) => m.framesDecoded > decoded + 20, 'the professional still sees the visitor');
    expect(await checkScreen(visitor, 'call-visitor-switch-failed', PHONE_TALL)).to.deep.equal([]);

    await pro.getByRole('button', { name: 'Share screen' }).click();
    await visitor.getByRole('figure').filter({ hasText: `${org.professional.name}’s screen` }).waitFor();
    await visitor.waitForTimeout(1000);
    expect(await checkScreen(visitor, 'call-visitor-shared-screen', PHONE_TALL)).to.deep.equal([]);
    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });

  it('a group call with a shared screen: the visitor on a phone sees everyone, the host runs the call from a phone; a browser without Wake Lock takes part without an error, and one with one camera offers no switch', async () => {
    const colleague = await addMember(server.services, org.org.id, { name: 'Dr Berg' });
    const pro = await professionalOn(PHONE_PORTRAIT);
    const visitor = await visitorOn(PHONE_TALL, 'Siri Lund');
    await inCall(pro, visitor, 'Siri Lund');
    expect(await checkScreen(pro, 'call-professional', PHONE_PORTRAIT)).to.deep.equal([]);

    // The colleague's browser has no Wake Lock API (as older Safari and Firefox), and one camera.
    const noWakeLockOneCamera = `(() => {
      delete Navigator.prototype.wakeLock;
      const enumerate = navigator.mediaDevices.enumerateDevices.bind(navigator.mediaDevices);
      navigator.mediaDevices.enumerateDevices = async () => (await enumerate()).filter((d) => d.kind !== 'videoinput' || d.label === 'fake_device_0');
    })()`;
    const berg = await scene.professionalLogsIn(noWakeLockOneCamera, colleague);
    const errors: string[] = [];
    berg.on('pageerror', (e) => errors.push(e.message));
    // Asked once, whether the colleague's dashboard is still connecting or not: the invitation is kept
    // for them and offered as soon as it is connected.
    await pro.getByLabel('Ask a colleague to join').selectOption({ label: 'Dr Berg' });
    await pro.getByRole('button', { name: 'Ask to join' }).click();
    await berg.getByRole('button', { name: 'Join the call' }).click();
    await pro.getByRole('button', { name: 'Share screen' }).click();
    for (const [page, streams] of [[visitor, 3], [berg, 3], [pro, 2]] as const) {
      await eventually(async () => expect(await videoStreamsDecoding(page), 'video streams decoding').to.be.at.least(streams), { what: `${streams} video streams decoding`, timeoutMs: 40_000, intervalMs: 300 });
    }
    await visitor.waitForTimeout(500);
    expect([
      ...(await checkScreen(visitor, 'call-visitor-group', PHONE_TALL)),
      ...(await checkScreen(pro, 'call-professional-group', PHONE_PORTRAIT)),
    ]).to.deep.equal([]);
    // Each of the three pictures the visitor receives has a fair share of the phone's screen.
    for (const tile of await visitor.locator('.call .remote').all()) {
      const b = (await tile.boundingBox())!;
      expect(b.width * b.height, 'a tile of the group call').to.be.above(0.12 * PHONE_TALL.width * PHONE_TALL.height);
    }
    expect(await berg.evaluate(() => 'wakeLock' in navigator)).to.equal(false);
    expect(await berg.getByRole('button', { name: 'Mute microphone' }).isVisible()).to.equal(true);
    expect(await berg.getByRole('button', { name: 'Switch camera' }).count(), 'no camera switch with one camera').to.equal(0);
    expect(errors, 'page errors without Wake Lock').to.deep.equal([]);

    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
    await berg.getByRole('heading', { name: 'The call has ended.' }).waitFor();
  });
});
