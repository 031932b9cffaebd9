/*
 * bench:admit - time from the professional's click on Admit to the first video frame the visitor's
 * browser presents, over real Chromium, our signaling server, Redis and mediasoup. Both timestamps are
 * taken inside the browsers (same machine clock): the click by a capture listener on the dashboard,
 * the frame by requestVideoFrameCallback on the visitor's remote video.
 *
 *   npm run bench:admit [-- --calls 30] [--browsers 1]
 */
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { createOrganization, startTestServer } from '../../signaling/src/test-support/test-server.ts';
import { launchChromium, newCallContext } from '../e2e/browser.ts';
import { percentile, summary } from './stats.ts';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '25' }, warmup: { type: 'string', default: '2' }, browsers: { type: 'string', default: '2' } },
});
const calls = Number(values.calls);
const warmup = Number(values.warmup);

const server = await startTestServer({ env: { LOG_LEVEL: 'warn', JOIN_LIMIT_PER_MINUTE: '1000' } });
const org = await createOrganization(server.services, { name: 'Bench Clinic' });
// Two browser processes by default, as two people on two computers have. In one Chromium all contexts
// share one capture service: a fake camera that one context restarts stalls the other's for ~2.5 s now
// and then (seen here: 4 calls in 80), which no real pair of computers would show.
const browser = await launchChromium();
const visitorBrowser = values.browsers === '1' ? browser : await launchChromium();
try {
  const proContext = await newCallContext(browser, server.origin);
  await proContext.addInitScript(() => {
    const w = window as unknown as { __clickedAt: number; __remoteFrames: number[] };
    document.addEventListener('click', () => (w.__clickedAt = Date.now()), true);
    // The other direction too: when the professional first sees the visitor.
    w.__remoteFrames = [];
    new MutationObserver(() => {
      for (const v of document.querySelectorAll('video')) {
        const video = v as HTMLVideoElement & { __probed?: boolean };
        if (video.muted || video.__probed) continue;
        video.__probed = true;
        video.requestVideoFrameCallback(() => w.__remoteFrames.push(Date.now()));
      }
    }).observe(document, { subtree: true, childList: true });
  });
  const pro = await proContext.newPage();
  await pro.goto(`${server.url}/dashboard/`);
  await pro.getByLabel('E-mail').fill(org.professional.email);
  await pro.getByLabel('Password').fill(org.professional.password);
  await pro.getByRole('button', { name: 'Log in' }).click();
  await pro.getByRole('heading', { name: /Waiting room/ }).waitFor();

  const samples: number[] = [];
  const proSamples: number[] = [];
  /** Where the time goes: each call-engine mark (client/src/call-engine/marks.ts), ms after the click. */
  const steps = new Map<string, number[]>();
  for (let i = 0; i < warmup + calls; i++) {
    const name = `Bench Visitor ${i}`;
    const context = await newCallContext(visitorBrowser, server.origin, () => {
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
    const proFrameAt = await waitFor(pro, () => {
      const w = window as unknown as { __clickedAt: number; __remoteFrames: number[] };
      return w.__remoteFrames.find((t) => t >= w.__clickedAt);
    });
    if (i >= warmup) {
      samples.push(frameAt - clickedAt);
      proSamples.push(proFrameAt - clickedAt);
      for (const [side, page] of [['professional', pro], ['visitor', visitor]] as const) {
        for (const m of await marksSince(page, clickedAt)) {
          const key = `${side}: ${m.name}`;
          if (!steps.has(key)) steps.set(key, []);
          steps.get(key)!.push(m.at - clickedAt);
        }
      }
    }
    process.stderr.write(`${i < warmup ? 'warm-up' : `call ${i - warmup + 1}/${calls}`}: ${frameAt - clickedAt} ms\n`);
    if (frameAt - clickedAt > 1000) {
      // A slow one: show its own steps, so an outlier can be explained rather than averaged away.
      for (const [side, page] of [['professional', pro], ['visitor', visitor]] as const) {
        for (const m of await marksSince(page, clickedAt)) process.stderr.write(`    ${String(m.at - clickedAt).padStart(5)}  ${side}: ${m.name}\n`);
      }
    }

    await pro.getByRole('button', { name: 'Hang up' }).click();
    await pro.getByRole('button', { name: 'Back to the waiting room' }).click();
    await context.close();
  }
  const rows = [...steps].map(([name, values]) => ({ name, p50: percentile(values, 50), n: values.length }));
  rows.push({ name: 'visitor: first video frame presented', p50: percentile(samples, 50), n: samples.length });
  rows.push({ name: 'professional: first video frame presented', p50: percentile(proSamples, 50), n: proSamples.length });
  console.log('where the time goes (p50 ms after the click, per step):');
  for (const r of rows.sort((a, b) => a.p50 - b.p50)) console.log(`  ${String(r.p50.toFixed(0)).padStart(5)}  ${r.name}${r.n < samples.length ? ` (in ${r.n} calls)` : ''}`);
  console.log(`  the other way (admit click -> first frame of the visitor at the professional): ${summary(proSamples)}`);
  console.log(`bench:admit (admit click -> first video frame at the visitor, real Chromium): ${summary(samples)}`);
} finally {
  await browser.close();
  if (visitorBrowser !== browser) await visitorBrowser.close();
  await server.close();
}

/** The page's `consult:*` User Timing marks at or after `since` (epoch ms), the last of each name. */
async function marksSince(page: Page, since: number): Promise<{ name: string; at: number }[]> {
  const marks = await page.evaluate(() =>
    performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('consult:'))
      .map((m) => ({ name: m.name.slice('consult:'.length), at: performance.timeOrigin + m.startTime })),
  );
  const last = new Map<string, number>();
  for (const m of marks) if (m.at >= since - 1) last.set(m.name, m.at);
  return [...last].map(([name, at]) => ({ name, at }));
}

async function waitFor(page: Page, probe: () => number | undefined, timeoutMs = 20_000): Promise<number> {
  const handle = await page.waitForFunction(probe, undefined, { timeout: timeoutMs, polling: 10 });
  return (await handle.jsonValue()) as number;
}
