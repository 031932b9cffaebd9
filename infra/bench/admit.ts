/*
 * bench:admit - time from the professional's click on Admit to the first video frame the visitor's
 * browser presents, over real Chromium, our signaling server, Redis and mediasoup. Both timestamps are
 * taken inside the browsers (same machine clock): the click by a capture listener on the dashboard,
 * the frame by requestVideoFrameCallback on the visitor's remote video.
 *
 *   npm run bench:admit [-- --calls 30]
 */
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { createOrganization, startTestServer } from '../../signaling/src/test-support/test-server.ts';
import { launchChromium, newCallContext } from '../e2e/browser.ts';
import { summary } from './stats.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '25' }, warmup: { type: 'string', default: '2' } } });
const calls = Number(values.calls);
const warmup = Number(values.warmup);

const server = await startTestServer({ env: { LOG_LEVEL: 'warn', JOIN_LIMIT_PER_MINUTE: '1000' } });
const org = await createOrganization(server.services, { name: 'Bench Clinic' });
const browser = await launchChromium();
try {
  const proContext = await newCallContext(browser, server.origin);
  await proContext.addInitScript(() => {
    document.addEventListener('click', () => ((window as unknown as { __clickedAt: number }).__clickedAt = Date.now()), true);
  });
  const pro = await proContext.newPage();
  await pro.goto(`${server.url}/dashboard/`);
  await pro.getByLabel('E-mail').fill(org.professional.email);
  await pro.getByLabel('Password').fill(org.professional.password);
  await pro.getByRole('button', { name: 'Log in' }).click();
  await pro.getByRole('heading', { name: /Waiting room/ }).waitFor();

  const samples: number[] = [];
  for (let i = 0; i < warmup + calls; i++) {
    const name = `Bench Visitor ${i}`;
    const context = await newCallContext(browser, server.origin, () => {
      const w = window as unknown as { __firstFrameAt?: number };
      new MutationObserver(() => {
        for (const v of document.querySelectorAll('video')) {
          const video = v as HTMLVideoElement & { __probed?: boolean };
          if (video.muted || video.__probed) continue;
          video.__probed = true;
          video.requestVideoFrameCallback(() => (w.__firstFrameAt ??= Date.now()));
        }
      }).observe(document, { subtree: true, childList: true });
    });
    const visitor = await context.newPage();
    await visitor.goto(`${server.url}/r/${org.room.slug}`);
    await visitor.getByLabel('Your name').fill(name);
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitor.getByText('has been told you are here').waitFor();
    await pro.getByRole('button', { name: `Admit ${name}` }).waitFor();
    await visitor.waitForTimeout(300); // let the waiting page settle, as a real wait would

    await pro.getByRole('button', { name: `Admit ${name}` }).click();
    const frameAt = await waitFor(visitor, () => (window as unknown as { __firstFrameAt?: number }).__firstFrameAt);
    const clickedAt = await pro.evaluate(() => (window as unknown as { __clickedAt: number }).__clickedAt);
    if (i >= warmup) samples.push(frameAt - clickedAt);
    process.stderr.write(`${i < warmup ? 'warm-up' : `call ${i - warmup + 1}/${calls}`}: ${frameAt - clickedAt} ms\n`);

    await pro.getByRole('button', { name: 'Hang up' }).click();
    await pro.getByRole('button', { name: 'Back to the waiting room' }).click();
    await context.close();
  }
  console.log(`bench:admit (admit click -> first video frame at the visitor, real Chromium): ${summary(samples)}`);
} finally {
  await browser.close();
  await server.close();
}

async function waitFor(page: Page, probe: () => number | undefined, timeoutMs = 20_000): Promise<number> {
  const handle = await page.waitForFunction(probe, undefined, { timeout: timeoutMs, polling: 10 });
  return (await handle.jsonValue()) as number;
}
