/*
 * bench:e2ee - what end-to-end encryption costs the browsers: the same 1:1 call (real Chromium for
 * each person, in two browser processes, our server, Redis, mediasoup) with and without E2EE, the two
 * alternated (ABBA) and repeated, and the browsers' CPU time per second of call for each.
 *
 * "Without" is a second server started with UNENCRYPTED_CALLS_FOR_BENCHMARK=true, a test-only switch
 * that production configuration refuses: no frame transforms and no insertable streams at all, i.e. a
 * plain WebRTC call. Both servers serve the benchmark build of the apps (the product build refuses an
 * unencrypted call), so both sides run the same client code. CPU time is read from /proc for every Chromium process this benchmark started.
 *
 *   npm run bench:e2ee [-- --seconds 60] [--rounds 2] [--warmup 1] [--settle 3] [--smoke]
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { createOrganization, sleep, startTestServer, type TestOrganization, type TestServer } from '../../signaling/src/test-support/test-server.ts';
import { inboundMedia, launchChromium, waitForMedia } from '../e2e/browser.ts';
import { Consultation } from '../e2e/consultation.ts';
import { benchmarkBuilds } from './benchmark-builds.ts';
import { benchArgs } from './size.ts';

// warmup: calls before the counted ones (the first start of codecs and workers); settle: seconds of each
// call before its CPU time counts (bandwidth estimation ramps up).
const { size } = benchArgs({ seconds: [60, 1], rounds: [2, 1], warmup: [1, 0], settle: [3, 0.5] });
const { seconds, rounds, warmup, settle } = size;

type Mode = 'e2ee' | 'plain';
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime (seconds) of every living descendant of `root` whose name says it is Chromium. */
function chromiumCpuSeconds(root = process.pid): number {
  const procs = new Map<number, { ppid: number; comm: string; ticks: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(entry), { ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = procs.get(pid)?.ppid; p; p = procs.get(p)?.ppid) if (p === root) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, p] of procs) if (/chrom/i.test(p.comm) && descends(pid)) ticks += p.ticks;
  return ticks / CLOCK_TICKS;
}

interface SendStats {
  width: number;
  height: number;
  fps: number;
  limitation: string;
}

async function sending(page: Page): Promise<SendStats> {
  return page.evaluate(async () => {
    const pcs = window.__peerConnections!;
    const out = { width: 0, height: 0, fps: 0, limitation: 'none' };
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
        out.width = Number(s.frameWidth ?? 0);
        out.height = Number(s.frameHeight ?? 0);
        out.fps = Number(s.framesPerSecond ?? 0);
        out.limitation = String(s.qualityLimitationReason ?? 'none');
      });
    }
    return out;
  });
}

const servers: Record<Mode, TestServer> = {
  e2ee: await startTestServer({ env: { LOG_LEVEL: 'warn', ...benchmarkBuilds() } }),
  plain: await startTestServer({ env: { LOG_LEVEL: 'warn', UNENCRYPTED_CALLS_FOR_BENCHMARK: 'true', ...benchmarkBuilds() } }),
};
const orgs = {} as Record<Mode, TestOrganization>;
for (const mode of ['e2ee', 'plain'] as const) orgs[mode] = await createOrganization(servers[mode].services, { name: `Bench ${mode}` });
const proBrowser = await launchChromium();
const visitorBrowser = await launchChromium();
const results: Record<Mode, number[]> = { e2ee: [], plain: [] };
let calls = 0;

async function call(mode: Mode): Promise<void> {
  const scene = new Consultation(proBrowser, servers[mode], orgs[mode]);
  const visitorScene = new Consultation(visitorBrowser, servers[mode], orgs[mode]);
  try {
    const name = `Bench Visitor ${++calls}`;
    const pro = await scene.professionalLogsIn();
    const visitor = await visitorScene.visitorChecksIn(name);
    await pro.getByRole('button', { name: `Admit ${name}` }).click();
    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor receives');
    await waitForMedia(pro, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional receives');
    await pro.getByText(mode === 'e2ee' ? 'End-to-end encrypted' : 'Not encrypted').first().waitFor();
    await sleep(settle * 1000); // past the start (bandwidth estimation ramps up)
    const cpu0 = chromiumCpuSeconds();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = chromiumCpuSeconds() - cpu0;
    const wall = (performance.now() - t0) / 1000;
    const [p, v] = [await sending(pro), await sending(visitor)];
    const decoded = [(await inboundMedia(pro)).framesDecoded, (await inboundMedia(visitor)).framesDecoded];
    results[mode].push(cpu / wall);
    const side = (s: SendStats) => `${s.width}x${s.height}@${s.fps}${s.limitation !== 'none' ? ` LIMITED(${s.limitation})` : ''}`;
    console.log(
      `  ${mode.padEnd(5)} ${(cpu / wall).toFixed(3)} CPU s per s of call   sending: professional ${side(p)}, visitor ${side(v)}   frames decoded ${decoded.join(' / ')}`,
    );
    await pro.getByRole('button', { name: 'End the call' }).click();
  } finally {
    await scene.end();
    await visitorScene.end();
  }
}

try {
  console.log(`bench:e2ee - ${rounds} rounds of ABBA, ${seconds} s per call, both browsers' CPU time (${fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length} cores)`);
  for (let i = 0; i < warmup; i++) await call('e2ee'); // first start of codecs and workers, not counted
  results.e2ee.length = 0;
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 ? (['plain', 'e2ee', 'e2ee', 'plain'] as const) : (['e2ee', 'plain', 'plain', 'e2ee'] as const)) await call(mode);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [on, off] = [mean(results.e2ee), mean(results.plain)];
  console.log(`  with E2EE: ${on.toFixed(3)} CPU s/s (n=${results.e2ee.length}), without: ${off.toFixed(3)} CPU s/s (n=${results.plain.length})`);
  console.log(`bench:e2ee (browsers' CPU per second of call, with / without E2EE): ${(on / off).toFixed(3)}x (goal <= 1.10x)`);
} finally {
  await proBrowser.close();
  await visitorBrowser.close();
  for (const s of Object.values(servers)) await s.close();
}
