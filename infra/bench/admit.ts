/*
 * bench:admit - time from the professional's click on Admit to the first video frame the visitor's
 * browser presents, over real Chromium, our signaling server, Redis and mediasoup. Both timestamps are
 * taken inside the browsers (same machine clock): the click by a capture listener on the dashboard,
 * the frame by requestVideoFrameCallback on the visitor's remote video, at the time the frame was handed
 * to the compositor (its presentationTime): what the person sees, not when the page's busy main thread
 * got round to the callback.
 *
 * With E2EE (every real call) and, alternated call by call (ABBA) in the same run, without it (a second
 * server started with the test-only UNENCRYPTED_CALLS_FOR_BENCHMARK): the difference is what the key
 * exchange costs, measured against a baseline on the same loaded machine.
 *
 * The floor (admit-floor.ts), alternated with ours in the same ABBA order, in the same two browsers: the
 * smallest mediasoup call there is (no login, no Redis, no UI, no encryption, camera on and Device loaded
 * before the admit message), measured the same way. Our p50 and p95 are printed as a ratio to it, so a run
 * on a loaded machine still says how far we are from what mediasoup and Chromium allow.
 *
 * With --relay, the alternate is instead a server whose browsers send only through a real coturn
 * (ICE_TRANSPORT_POLICY=relay): what the TURN relay adds to the admission, beside the direct path, both with
 * E2EE, in the same run.
 *
 * With --sfu, the breakdown also says what the SFU did with the video (sfu-watch.ts): key frames in and
 * out, key-frame requests, consumers resumed, first packets. It costs the pages nothing.
 *
 * With --rtp, also what each page's RTP did (rtp-watch.ts): key frames encoded and decoded, key-frame
 * requests, first packets; and the SFU's steps as with --sfu. Its polling costs the pages time: read that
 * run's steps, not its figures.
 *
 * With --trace FILE, each counted call's steps (ours and the floor's), one JSON line per call: the p50 of
 * each step hides which came first in one call, and a race between two of them shows only there.
 *
 *   npm run bench:admit [-- --calls 30] [--warmup 2] [--browsers 1] [--e2ee-only | --relay] [--rtp | --sfu] [--trace FILE] [--smoke]
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import {
  createOrganization,
  sessionCookieFor,
  startTestServer,
  type TestOrganization,
  type TestServer,
} from '../../signaling/src/test-support/test-server.ts';
import { benchmarkBuilds } from './benchmark-builds.ts';
import { addStep, addSteps, marksSince } from './page-marks.ts';
import { watchRtp } from './rtp-watch.ts';
import { traceSfu } from './sfu-watch.ts';
import { sessionCookieName } from '../../signaling/src/http/request-guards.ts';
import { launchChromium, newCallContext } from '../e2e/browser.ts';
import { passDeviceCheck, professionalEndsTheCall } from '../e2e/consultation.ts';
import { percentile, summary } from './stats.ts';
import { benchArgs } from './size.ts';
import { SocketTrace, step, type AdmissionContext } from './admission-trace.ts';
import { startCoturn, type TestCoturn } from '../../signaling/src/test-support/coturn.ts';
import { startFloor, type Floor } from './admit-floor.ts';

const { size, flag, text } = benchArgs({ calls: [25, 1], warmup: [2, 0], browsers: [2, 2] }, ['e2ee-only', 'relay', 'rtp', 'sfu'], ['trace']);
/** Where each counted call's steps go, one JSON line per call (--trace FILE): for reading one call's order of events. */
const trace = text.trace;
if (trace) writeFileSync(trace, '');
const { calls, warmup } = size;

type Mode = 'e2ee' | 'plain' | 'relay';
/** What the bench's init scripts leave on a page's window (read back through page.evaluate). */
type BenchWindow = typeof window & { __clickedAt: number; __remoteFrames: number[]; __firstFrameAt?: number; __longTasks: { at: number; ms: number }[] };

/** An init script: the page's long tasks (50 ms or more on its main thread), for the breakdown. */
function recordLongTasks(): void {
  const w = window as BenchWindow;
  w.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__longTasks.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
}
const labels: Record<Mode | 'floor', string> = { e2ee: 'with E2EE   ', plain: 'without E2EE', relay: 'E2EE, relay ', floor: 'floor       ' };
const describeMode: Record<Mode, string> = { e2ee: 'with E2EE', plain: 'without E2EE', relay: 'with E2EE, media only through coturn' };
interface Side {
  server: TestServer;
  org: TestOrganization;
  pro: Page;
  /** What the professional's dashboard heard over its socket (for a wait that gives up). */
  proTrace: SocketTrace;
  samples: number[];
  proSamples: number[];
  /** Where the time goes: each call-engine mark (client/src/call-engine/marks.ts), ms after the click. */
  steps: Map<string, number[]>;
}

// Two browser processes by default, as two people on two computers have. In one Chromium all contexts
// share one capture service: a fake camera that one context restarts stalls the other's for ~2.5 s now
// and then (seen here: 4 calls in 80), which no real pair of computers would show.
const browser = await launchChromium();
const visitorBrowser = size.browsers === 1 ? browser : await launchChromium();
const modes: Mode[] = flag['e2ee-only'] ? ['e2ee'] : flag.relay ? ['e2ee', 'relay'] : ['e2ee', 'plain'];
const sides = {} as Record<Mode, Side>;
// Before any worker starts: mediasoup tells of workers only as they are made.
const sfu = flag.rtp || flag.sfu ? traceSfu() : undefined;
let turn: TestCoturn | undefined;
const floor: Floor = await startFloor();
const floorSamples = { samples: [] as number[], proSamples: [] as number[], steps: new Map<string, number[]>() };
try {
  const floorPro = await floor.openProfessional(browser);
  for (const mode of modes) {
    if (mode === 'relay') turn = await startCoturn({ allowedPeerIps: ['127.0.0.1'] });
    const env = {
      LOG_LEVEL: 'warn',
      JOIN_LIMIT_PER_MINUTE: '1000',
      ...benchmarkBuilds(),
      ...(mode === 'plain' ? { UNENCRYPTED_CALLS_FOR_BENCHMARK: 'true' } : {}),
      ...(mode === 'relay' && turn ? { TURN_SECRET: turn.secret, TURN_URLS: turn.urls.join(','), ICE_TRANSPORT_POLICY: 'relay' } : {}),
    };
    const server = await startTestServer({ env });
    const org = await createOrganization(server.services, { name: `Bench Clinic ${mode}` });
    sides[mode] = { server, org, ...(await professionalLogsIn(server, org)), samples: [], proSamples: [], steps: new Map() };
  }
  // ABBA: each mode (and the floor) gets the early and the late calls alike.
  const runs: (Mode | 'floor')[] = [...modes, 'floor'];
  const order = (i: number) => (i % 2 ? [...runs].reverse() : runs);
  for (let i = 0; i < warmup + calls; i++) {
    for (const mode of order(i)) {
      if (mode !== 'floor') {
        await admitOne(sides[mode], mode, i, i >= warmup);
        continue;
      }
      const { visitorSees, professionalSees, steps } = await floor.admitOne(floorPro, visitorBrowser, { rtp: flag.rtp, sfu });
      if (i >= warmup) {
        traceCall(mode, i - warmup + 1, visitorSees, professionalSees, [...steps].map(([name, values]) => [name, values[0]!]));
        floorSamples.samples.push(visitorSees);
        floorSamples.proSamples.push(professionalSees);
        for (const [name, values] of steps) for (const v of values) addStep(floorSamples.steps, name, v);
      }
      process.stderr.write(`${i >= warmup ? `call ${i - warmup + 1}/${calls}` : 'warm-up'} (floor): ${visitorSees} ms, the other way ${professionalSees} ms\n`);
    }
  }
  // The floor's steps first: its page leaves the same marks, so each of ours can be read against it.
  for (const [title, { samples, proSamples, steps }] of [
    ['the floor', floorSamples],
    ...modes.map((mode) => [describeMode[mode], sides[mode]] as const),
  ] as const) {
    const rows = [...steps].map(([name, values]) => ({ name, p50: percentile(values, 50), n: values.length }));
    rows.push({ name: 'visitor: first video frame presented', p50: percentile(samples, 50), n: samples.length });
    rows.push({ name: 'professional: first video frame presented', p50: percentile(proSamples, 50), n: proSamples.length });
    console.log(`${title}, where the time goes (p50 ms after the click, per step):`);
    for (const r of rows.sort((a, b) => a.p50 - b.p50)) console.log(`  ${String(r.p50.toFixed(0)).padStart(5)}  ${r.name}${r.n < samples.length ? ` (in ${r.n} calls)` : ''}`);
  }
  for (const mode of modes) {
    const label = labels[mode];
    console.log(`  ${label}  visitor sees the professional: ${summary(sides[mode].samples)}`);
    console.log(`  ${label}  professional sees the visitor: ${summary(sides[mode].proSamples)}`);
  }
  console.log(`  ${labels.floor}  visitor sees the professional: ${summary(floorSamples.samples)}`);
  console.log(`  ${labels.floor}  professional sees the visitor: ${summary(floorSamples.proSamples)}`);
  const ratio = (ours: number[], bare: number[], p: number) => `${(percentile(ours, p) / percentile(bare, p)).toFixed(2)}x`;
  for (const [who, key] of [['visitor sees the professional', 'samples'], ['professional sees the visitor', 'proSamples']] as const) {
    const parts = modes.map((mode) => `${labels[mode].trim()} p50 ${ratio(sides[mode][key], floorSamples[key], 50)} p95 ${ratio(sides[mode][key], floorSamples[key], 95)}`);
    console.log(`  ours / floor, ${who}: ${parts.join(', ')}`);
  }
  const p50 = (mode: Mode) => percentile(sides[mode].samples, 50);
  const vs = modes.includes('plain')
    ? ` (without E2EE, same run: p50 ${p50('plain').toFixed(0)} ms; the key exchange adds ${(p50('e2ee') - p50('plain')).toFixed(0)} ms)`
    : modes.includes('relay')
      ? ` (through the TURN relay, same run: p50 ${p50('relay').toFixed(0)} ms; the relay adds ${(p50('relay') - p50('e2ee')).toFixed(0)} ms)`
      : '';
  console.log(`bench:admit (admit click -> first video frame at the visitor, real Chromium, E2EE): p50 ${p50('e2ee').toFixed(0)} ms${vs}`);
  const floorP50 = percentile(floorSamples.samples, 50);
  console.log(
    `bench:admit ratio to the floor at p50 (floor ${floorP50.toFixed(0)} ms visitor side, ${percentile(floorSamples.proSamples, 50).toFixed(0)} ms professional side): ` +
      `with E2EE ${ratio(sides.e2ee.samples, floorSamples.samples, 50)} / ${ratio(sides.e2ee.proSamples, floorSamples.proSamples, 50)} (goal <= 1.5x)`,
  );
} finally {
  await browser.close();
  if (visitorBrowser !== browser) await visitorBrowser.close();
  for (const side of Object.values(sides)) await side.server.close();
  await turn?.stop();
  await floor.close();
}

async function professionalLogsIn(server: TestServer, org: TestOrganization): Promise<{ pro: Page; proTrace: SocketTrace }> {
  const proContext = await newCallContext(browser, server.origin);
  await proContext.addInitScript(recordLongTasks);
  await proContext.addInitScript(() => {
    const w = window as BenchWindow;
    document.addEventListener('click', () => (w.__clickedAt = Date.now()), true);
    // The other direction too: when the professional first sees the visitor.
    w.__remoteFrames = [];
    new MutationObserver(() => {
      for (const v of document.querySelectorAll('video')) {
        const video = v as HTMLVideoElement & { __probed?: boolean };
        if (video.muted || video.__probed) continue;
        video.__probed = true;
        video.requestVideoFrameCallback((_, frame) => w.__remoteFrames.push(Date.now() - (performance.now() - frame.presentationTime)));
        performance.mark('consult:remote video in the page');
      }
    }).observe(document, { subtree: true, childList: true });
  });
  const pro = await proContext.newPage();
  const proTrace = new SocketTrace(pro, 'professional');
  // Logged in as a completed login (password and second factor) leaves it: the login is not measured here.
  const value = await sessionCookieFor(server, org.org.id, org.professional.id);
  await proContext.addCookies([{ name: sessionCookieName(false), value, url: server.url }]);
  await pro.goto(`${server.url}/dashboard/`);
  await pro.getByRole('heading', { name: /Waiting room/ }).waitFor();
  return { pro, proTrace };
}

async function admitOne(side: Side, mode: Mode, i: number, counted: boolean): Promise<void> {
  const { server, org, pro } = side;
  const name = `Bench Visitor ${i}`;
  const context = await newCallContext(visitorBrowser, server.origin, () => {
    const w = window as BenchWindow;
    new MutationObserver(() => {
      for (const v of document.querySelectorAll('video')) {
        const video = v as HTMLVideoElement & { __probed?: boolean };
        if (video.muted || video.__probed) continue;
        video.__probed = true;
        video.requestVideoFrameCallback((_, frame) => (w.__firstFrameAt ??= Date.now() - (performance.now() - frame.presentationTime)));
        performance.mark('consult:remote video in the page');
      }
    }).observe(document, { subtree: true, childList: true });
  });
  await context.addInitScript(recordLongTasks);
  const visitor = await context.newPage();
  const ctx: AdmissionContext = {
    server,
    orgId: org.org.id,
    room: org.room,
    pro,
    proTrace: side.proTrace,
    visitor,
    visitorTrace: new SocketTrace(visitor, 'visitor'),
    startedAt: Date.now(),
  };
  visitor.on('response', (r) => {
    if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/visits') {
      void r.json().then((b: { visitorId?: string }) => (ctx.visitorId = b.visitorId), () => undefined);
    }
  });
  // Where the time before the click went, per call: a slow or stalled arrival shows which step it was.
  const before: string[] = [];
  const timed = async (what: string, run: () => Promise<unknown>) => {
    const t = Date.now();
    await step(ctx, what, run);
    before.push(`${what} ${Date.now() - t}`);
  };
  await timed('visitor: link opened', () => visitor.goto(`${server.url}/r/${org.room.slug}`));
  await timed('visitor: device check passed', () => passDeviceCheck(visitor));
  await timed('visitor: in the waiting room', async () => {
    await visitor.getByLabel('Your name').fill(name);
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitor.getByText('has been told you are here').waitFor();
  });
  await timed('professional: Admit button shown', () => pro.getByRole('button', { name: `Admit ${name}` }).waitFor());
  await visitor.waitForTimeout(300); // let the waiting page settle, as a real wait would

  const watching = flag.rtp ? watchRtp([pro, visitor]) : undefined;
  const sfuWatch = sfu?.watch(server.services.media.workerPids);
  await step(ctx, 'professional: Admit clicked', () => pro.getByRole('button', { name: `Admit ${name}` }).click());
  const frameAt = await step(ctx, "visitor: first frame of the professional's video", () =>
    waitFor(visitor, () => (window as BenchWindow).__firstFrameAt),
  );
  const clickedAt = await pro.evaluate(() => (window as BenchWindow).__clickedAt);
  const proFrameAt = await step(ctx, "professional: first frame of the visitor's video", () =>
    waitFor(pro, () => {
      const w = window as BenchWindow;
      return w.__remoteFrames.find((t) => t >= w.__clickedAt);
    }),
  );
  await watching?.stop();
  const sfuMarks = (await sfuWatch?.stop(clickedAt)) ?? [];
  if (counted) {
    side.samples.push(frameAt - clickedAt);
    side.proSamples.push(proFrameAt - clickedAt);
    const marks = { professional: await marksSince(pro, clickedAt), visitor: await marksSince(visitor, clickedAt) };
    for (const [who, page, until] of [['professional', pro, proFrameAt], ['visitor', visitor, frameAt]] as const) {
      addSteps(side.steps, who, marks[who], clickedAt);
      // A busy main thread holds back every step above: how much of the wait it was busy for.
      const busy = await page.evaluate(([from, to]) => (window as BenchWindow).__longTasks.filter((t) => t.at + t.ms > from && t.at < to).reduce((sum, t) => sum + Math.min(t.at + t.ms, to) - Math.max(t.at, from), 0), [clickedAt, until] as const);
      addStep(side.steps, `${who}: main thread in long tasks, ms in all (not a moment)`, busy);
    }
    addSteps(side.steps, 'sfu', sfuMarks, clickedAt);
    const all = [['sfu', sfuMarks], ['professional', marks.professional], ['visitor', marks.visitor]] as const;
    traceCall(mode, i - warmup + 1, frameAt - clickedAt, proFrameAt - clickedAt, all.flatMap(([who, list]) => list.map((m) => [`${who}: ${m.name}`, m.at - clickedAt] as [string, number])));
  }
  process.stderr.write(`${counted ? `call ${i - warmup + 1}/${calls}` : 'warm-up'} (${mode}): ${frameAt - clickedAt} ms   (before the click, ms: ${before.join(', ')})\n`);
  if (frameAt - clickedAt > 1000) {
    // A slow one: show its own steps, so an outlier can be explained rather than averaged away.
    for (const [who, page] of [['professional', pro], ['visitor', visitor]] as const) {
      for (const m of await marksSince(page, clickedAt)) process.stderr.write(`    ${(m.at - clickedAt).toFixed(0).padStart(5)}  ${who}: ${m.name}\n`);
    }
  }

  await step(ctx, 'professional: call ended, back in the waiting room', () => professionalEndsTheCall(pro));
  await context.close();
}

/** With --trace, one counted call's steps (ms after the click) as a line of the file. */
function traceCall(mode: Mode | 'floor', call: number, visitorSees: number, professionalSees: number, steps: [name: string, ms: number][]): void {
  if (!trace) return;
  const marks = Object.fromEntries([['visitor: first video frame presented', visitorSees], ['professional: first video frame presented', professionalSees], ...steps]);
  appendFileSync(trace, JSON.stringify({ mode, call, marks }) + '\n');
}

async function waitFor(page: Page, probe: () => number | undefined, timeoutMs = 20_000): Promise<number> {
  const handle = await page.waitForFunction(probe, undefined, { timeout: timeoutMs, polling: 10 });
  return (await handle.jsonValue()) as number;
}
