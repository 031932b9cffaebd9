/*
 * bench:waiting-room - visitors arriving at a steady rate (socket.io-client in separate processes, each
 * holding its waiting socket open) while professionals' dashboards listen; beside it, in the same run, a
 * bare Socket.IO server doing the same broadcast. Prints for both: arrival -> dashboard event latency
 * p50/p99 at 100, 500 and 1000 arrivals/s; then fills our server to 15k waiting sockets and prints sockets
 * held per process and memory per waiting visitor; and the Redis round trips and commands of one visitor
 * from check-in to call end.
 *
 *   npm run bench:waiting-room [-- --seconds 4] [--fill 15000] [--processes 3] [--visitors 10] [--heap-sample FILE] [--smoke]
 *   (--visitors: how many visitors' round trips are counted, for their median; --heap-sample: where to
 *   write a sampled profile of what this process allocated during our 500/s phase, dead objects included,
 *   for Chrome's DevTools: the garbage collector's pauses make much of our tail)
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Server } from 'socket.io';
import {
  ask,
  createOrganization,
  deviceRtpCapabilities,
  joinWaitingRoom,
  professionalSocket,
  sessionCookieFor,
  sleep,
  startTestServer,
  testPublicKey,
  visitorSocket,
} from '../../signaling/src/test-support/test-server.ts';
import { sessionCookieName } from '../../signaling/src/http/request-guards.ts';
import { countRoundTrips, settled } from '../../signaling/src/test-support/round-trips.ts';
import { percentile } from './stats.ts';
import { benchArgs } from './size.ts';
import { sampleAllocations } from './allocation-sample.ts';

const { size, text } = benchArgs({ seconds: [4, 0.4], fill: [15_000, 700], processes: [3, 1], visitors: [10, 2] }, [], ['heap-sample']);
const { seconds, fill: fillTo, processes: processCount } = size;
const RATES = [100, 500, 1000];

// ---------- our server ----------
const server = await startTestServer({ env: { LOG_LEVEL: 'warn', JOIN_LIMIT_PER_MINUTE: '100000000', MEDIA_WORKERS: '1' } });
const org = await createOrganization(server.services, { name: 'Bench Clinic' });
const cookie = `${sessionCookieName(false)}=${await sessionCookieFor(server, org.org.id, org.professional.id)}`;

// ---------- the bare baseline: one POST broadcasts to the dashboards, then a socket is held ----------
const bareHttp = http.createServer();
const bare = new Server(bareHttp, { serveClient: false, transports: ['websocket'] });
bare.on('connection', (socket) => {
  if (socket.handshake.query.dashboard) void socket.join('dashboards');
});
bareHttp.on('request', (req, res) => {
  if (req.method === 'POST' && req.url === '/arrive') {
    bare.to('dashboards').emit('arrived', { at: Date.now() });
    res.writeHead(204).end();
  }
});
await new Promise<void>((r) => bareHttp.listen(0, '127.0.0.1', r));
const bareUrl = `http://127.0.0.1:${(bareHttp.address() as AddressInfo).port}`;

// ---------- dashboards, three per server, in a process of their own (waiting-room-dashboards.ts) ----------
const dashboards = fork(new URL('./waiting-room-dashboards.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
await new Promise<void>((resolve) => dashboards.once('message', () => resolve()));
await new Promise<void>((resolve, reject) => {
  dashboards.once('message', (m: { connected: boolean; error?: string }) => (m.connected ? resolve() : reject(new Error(`dashboards: ${m.error}`))));
  dashboards.send({ connect: { ours: server.url, cookie, bare: bareUrl } });
});
/** The arrivals' latencies the dashboards saw since the last time they were asked. */
const dashboardLatencies = () =>
  new Promise<number[]>((resolve) => {
    dashboards.once('message', (m: { latencies: number[] }) => resolve(m.latencies));
    dashboards.send({ take: true });
  });

// ---------- load processes ----------
const loaders: ChildProcess[] = [];
for (let i = 0; i < processCount; i++) {
  const child = fork(new URL('./waiting-room-load.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  loaders.push(child);
}
interface PhaseResult {
  arrivals: number;
  failures: number;
  /** Failed check-ins by HTTP status or error code. */
  failedBecause: Record<string, number>;
  refused: number;
  sockets: number;
}
async function phase(target: 'ours' | 'bare', rate: number, secs: number): Promise<PhaseResult> {
  const results = await Promise.all(
    loaders.map(
      (child) =>
        new Promise<PhaseResult>((resolve) => {
          child.once('message', (m: { result: PhaseResult }) => resolve(m.result));
          child.send({ phase: { target, url: target === 'ours' ? server.url : bareUrl, slug: org.room.slug, rate: rate / loaders.length, seconds: secs } });
        }),
    ),
  );
  const failedBecause: Record<string, number> = {};
  for (const r of results) for (const [reason, n] of Object.entries(r.failedBecause)) failedBecause[reason] = (failedBecause[reason] ?? 0) + n;
  return results.reduce((a, b) => ({
    arrivals: a.arrivals + b.arrivals,
    failures: a.failures + b.failures,
    failedBecause,
    refused: a.refused + b.refused,
    sockets: a.sockets + b.sockets,
  }));
}

/*
 * Why a phase's tail is long, in this process (both servers; the dashboards are a process of their own):
 * how late its event loop ran (timers due but not run) and the garbage collector's pauses.
 */
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
let gcPauses: number[] = [];
const gcObserver = new PerformanceObserver((list) => gcPauses.push(...list.getEntries().map((e) => e.duration)));
gcObserver.observe({ entryTypes: ['gc'] });
const stalls = () =>
  `event loop late p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms (max ${(loopDelay.max / 1e6).toFixed(1)}), GC ${gcPauses.length} pauses, ${gcPauses.reduce((a, b) => a + b, 0).toFixed(0)} ms in all (max ${Math.max(0, ...gcPauses).toFixed(1)})`;

/** What --heap-sample found, for the figures. */
let allocated: string[] = [];

const figures: string[] = [];
const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms (n=${xs.length})`;
const why = (r: PhaseResult) => (r.failures ? ` (${Object.entries(r.failedBecause).map(([reason, n]) => `${reason}: ${n}`).join(', ')})` : '');
const rows: Record<string, Record<number, number[]>> = { ours: {}, bare: {} };
/**
 * CPU time of this process (both servers; the dashboards, the load processes and Redis are others) per
 * arrival, by target and rate: on a shared machine a steadier figure than the latencies.
 */
const cpuPerArrival: Record<string, Record<number, number>> = { ours: {}, bare: {} };
try {
  const memoryBefore = process.memoryUsage();
  // Alternate the two targets rate by rate, so both see the same machine at each step.
  for (const rate of RATES) {
    for (const target of ['bare', 'ours'] as const) {
      await dashboardLatencies();
      gcPauses = [];
      loopDelay.reset();
      loopDelay.enable();
      const cpuBefore = process.cpuUsage();
      const sampling = text['heap-sample'] && target === 'ours' && rate === 500 ? await sampleAllocations() : undefined;
      const r = await phase(target, rate, seconds);
      await sleep(300);
      loopDelay.disable();
      const cpu = process.cpuUsage(cpuBefore);
      cpuPerArrival[target]![rate] = (cpu.user + cpu.system) / 1000 / Math.max(1, r.arrivals);
      // After the phase's own figures: writing the profile is not the server's work.
      if (sampling) {
        const { bytes, byWhere } = await sampling.stop(text['heap-sample']!);
        allocated = [
          `  allocated in the bench process per arrival at 500/s (ours, sampled): ${(bytes / 1024 / Math.max(1, r.arrivals)).toFixed(0)} KB; the profile: ${text['heap-sample']}`,
          `    by where (a function's own allocations): ${byWhere.slice(0, 8).map(([where, n]) => `${where} ${((100 * n) / bytes).toFixed(0)} %`).join(', ')}`,
        ];
      }
      rows[target]![rate] = (await dashboardLatencies()).filter((x) => x >= 0);
      process.stderr.write(
        `${target} ${rate}/s: ${r.arrivals} arrivals, ${r.failures} failed${why(r)}, dashboards: ${fmt(rows[target]![rate]!)}, CPU ${cpuPerArrival[target]![rate]!.toFixed(2)} ms per arrival; ${stalls()}\n`,
      );
    }
  }
  for (const rate of RATES) {
    const ours = rows.ours![rate]!;
    const base = rows.bare![rate]!;
    figures.push(
      `  ${String(rate).padStart(4)} arrivals/s  ours ${fmt(ours)}   bare Socket.IO ${fmt(base)}   p99 ratio ${(percentile(ours, 99) / Math.max(0.1, percentile(base, 99))).toFixed(2)}x`,
    );
    figures.push(
      `                   CPU of the bench process per arrival: ours ${cpuPerArrival.ours![rate]!.toFixed(2)} ms, bare ${cpuPerArrival.bare![rate]!.toFixed(2)} ms, ours above bare ${(cpuPerArrival.ours![rate]! - cpuPerArrival.bare![rate]!).toFixed(2)} ms`,
    );
  }

  // Fill our server with waiting visitors, then see what each costs. The baseline's sockets go first: both
  // servers live in this process, and its few thousand would take file descriptors from ours.
  await Promise.all(loaders.map((child) => new Promise<void>((resolve) => (child.once('message', () => resolve()), child.send({ closeBare: true })))));
  await sleep(500);
  const held = () => server.services.notify.visitors.sockets.size;
  const missing = Math.max(0, fillTo - held());
  let fill: PhaseResult | undefined;
  if (missing > 0) {
    fill = await phase('ours', 500, (missing * 1.01) / 500);
    for (let i = 0; i < 80 && held() < fillTo; i++) await sleep(250);
  }
  const waiting = held();
  if (fill) figures.push(`  fill: ${fill.failures} check-ins failed${why(fill)}, ${fill.refused} visitor sockets refused or dropped (all phases)`);
  global.gc?.();
  const memoryAfter = process.memoryUsage();
  figures.push(`  waiting sockets held by the server process: ${waiting} (goal >= 15000; open-file limit 20000)`);
  figures.push(
    `  memory per waiting visitor (server process, RSS / heap): ${((memoryAfter.rss - memoryBefore.rss) / waiting / 1024).toFixed(1)} KB / ${((memoryAfter.heapUsed - memoryBefore.heapUsed) / waiting / 1024).toFixed(1)} KB (against the process before the rate phases; the baseline's sockets closed)`,
  );

  // Redis round trips of one visitor from check-in to call end, counted at our client.
  const counter = countRoundTrips(server.services.redis);
  const caps = await deviceRtpCapabilities(server);
  const pro = await professionalSocket(server, cookie);
  const counts: number[] = [];
  const commandCounts: number[] = [];
  // Counted as the budget test counts (round-trips.test.ts): from a quiet client, until the side effects
  // after the call's end have gone out, and before the visitor's socket closes.
  for (let i = 0; i < size.visitors; i++) {
    await settled(counter);
    counter.reset();
    const visit = await joinWaitingRoom(server, org.room.slug, 'Round Trip');
    const v = await visitorSocket(server, visit.visitorToken);
    await ask(v, 'visit:status', {});
    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    await ask(v, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey });
    await ask(pro, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey });
    await ask(pro, 'call:hang-up', { callId: admitted.callId });
    await settled(counter);
    counts.push(counter.trips);
    commandCounts.push(counter.commandCount);
    v.disconnect();
  }
  const last = counter.breakdown();
  counter.stop();
  figures.push(`  Redis round trips per visitor, check-in to call end (at the client; a pipeline or script is one): median ${percentile(counts, 50)} (goal <= 12); commands ${percentile(commandCounts, 50)}: ${last}`);

  console.log(`bench:waiting-room - ${processCount} load processes, ${seconds} s per rate, dashboards: 3 per server`);
  for (const f of figures) console.log(f);
  for (const line of allocated) console.log(line);
} catch (error) {
  console.log(`bench:waiting-room - stopped early: ${(error as Error).stack ?? error}`);
  for (const f of figures) console.log(f);
  process.exitCode = 1;
} finally {
  gcObserver.disconnect();
  // Let the load processes close their sockets and exit before the servers go.
  await Promise.all(loaders.map((child) => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.send({ close: true })))));
  await new Promise<void>((resolve) => (dashboards.once('exit', () => resolve()), dashboards.send({ close: true })));
  await sleep(500);
  bare.close();
  await server.close();
}
