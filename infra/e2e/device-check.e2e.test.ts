import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_FLAGS, newCallContext } from './browser.ts';
import { consultationSuite, passDeviceCheck } from './consultation.ts';

/*
 * The device and network check in real Chromium: the network test runs against the server's own SFU
 * (a test router, generated media there and back), the rating and figures are shown with a tip, and what
 * was found (browser, camera, microphone, the SFU's figures) reaches the professional's queue card.
 */
describe('device and network check end to end (real Chromium, SFU, Redis)', function () {
  this.timeout(120_000);

  let withoutDevices: Browser | undefined;
  const suite = consultationSuite('Check Clinic', async () => {
    await withoutDevices?.close();
    withoutDevices = undefined;
  });

  it('a visitor sees their connection rated, and the professional sees it on the card before admitting', async () => {
    const pro = await suite.scene.professionalLogsIn();
    const visitor = await suite.scene.page();
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await visitor.getByText('Testing your connection to our video server').waitFor();
    const rating = visitor.locator('.network-rating');
    await rating.waitFor({ timeout: 30_000 });
    const shown = await rating.getAttribute('data-rating');
    expect(shown).to.be.oneOf(['good', 'fair', 'poor']);
    const figures = await visitor.locator('.network-check .figures').textContent();
    expect(figures).to.match(/Round trip (\d+ ms|not measured) · loss \d+\.\d % · up to \d+ kbit\/s/);
    // Generated media reached the SFU and came back: it measured a bitrate and a round trip.
    const [, rtt, kbps] = /Round trip (\d+) ms · loss [\d.]+ % · up to (\d+) kbit\/s/.exec(figures!) ?? [];
    expect(Number(kbps), figures!).to.be.above(50);
    expect(Number(rtt), figures!).to.be.at.least(0);
    await visitor.getByText('Camera: found').waitFor();
    await visitor.getByText(/Browser: Chrome \d+ on Linux/).waitFor();

    await passDeviceCheck(visitor);
    await visitor.getByLabel('Your name').fill('Nina Nett');
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    const card = pro.getByRole('listitem').filter({ hasText: 'Nina Nett' });
    const network = card.getByRole('list', { name: 'Device check' }).locator('[data-rating]');
    await network.waitFor();
    expect(await network.getAttribute('data-rating'), 'the rating the visitor saw').to.equal(shown);
    expect(await card.getByText(`${kbps} kbit/s`).count()).to.equal(1);
    expect(await card.getByText('No camera found').count()).to.equal(0);
    await card.getByText(/Chrome \d+ on Linux/).waitFor();
  });

  it('the /check page in a browser with no camera at all says so, and the card of the visitor checking in after it shows it', async () => {
    const pro = await suite.scene.professionalLogsIn();
    // A Chromium with no fake devices: this machine has no camera or microphone of its own.
    withoutDevices = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_FLAGS.filter((f) => f !== '--use-fake-device-for-media-stream'),
      headless: true,
    });
    const context = await newCallContext(withoutDevices, suite.server.origin);
    const visitor = await context.newPage();
    await visitor.goto(`${suite.server.url}/check`);
    await visitor.getByRole('heading', { name: 'Check your device for a video consultation' }).waitFor();
    await visitor.getByText('Camera: no camera found').waitFor();
    await visitor.getByText('No camera was found. You can take part with sound only.').waitFor();
    await visitor.locator('.network-rating').waitFor({ timeout: 30_000 });
    const rating = await visitor.locator('.network-rating').getAttribute('data-rating');

    // Later, the same browser opens the room's link and goes straight on: the check from /check goes along.
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await passDeviceCheck(visitor);
    await visitor.getByLabel('Your name').fill('Kamera Løs');
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    const card = pro.getByRole('listitem').filter({ hasText: 'Kamera Løs' });
    await card.getByText('No camera found').waitFor();
    expect(await card.locator('[data-rating]').getAttribute('data-rating')).to.equal(rating);
    await context.close();
  });

  it('the /check page is there for anyone, with no link', async () => {
    const res = await fetch(`${suite.server.url}/check`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.include('text/html');
  });
});
