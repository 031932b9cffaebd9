import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';

/*
 * Every `npm run bench:<name>` at smoke size (`--smoke`: one or two iterations, small counts), through the
 * same infra/bench.sh and the same benchmark file a person runs. A benchmark that no longer runs (a button
 * renamed, a helper changed, a figure that comes out empty) fails here rather than on the day someone
 * needs its figures. Nothing here asserts a time: only that it ends, exits 0 and prints the lines a
 * person reads, each with a number in it.
 */

const root = new URL('../..', import.meta.url).pathname;
const number = String.raw`-?\d+(\.\d+)?`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `bash infra/bench.sh <name> --smoke`, in a process group of its own so a hung run is ended whole. */
function bench(name: string, timeoutMs: number, args: string[]): Promise<Run> {
  const child = spawn('bash', ['infra/bench.sh', name, '--smoke', ...args], { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      reject(new Error(`bench:${name} --smoke did not finish within ${timeoutMs / 1000} s\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => (clearTimeout(timer), reject(error)));
    child.once('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

async function expectFigures(name: string, timeoutMs: number, lines: RegExp[], args: string[] = []): Promise<void> {
  const run = await bench(name, timeoutMs, args);
  const shown = `\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  expect(run.code, `bench:${name} --smoke exit code${shown}`).to.equal(0);
  for (const line of lines) expect(run.stdout, `bench:${name} prints ${line}${shown}`).to.match(line);
  // A figure over no samples comes out as NaN or Infinity: the bench ran but measured nothing.
  expect(run.stdout, `bench:${name} prints only numbers${shown}`).not.to.match(/NaN|Infinity/);
}

const re = (source: string) => new RegExp(source.replaceAll('#', number), 'm');

describe('benchmarks at smoke size (npm run bench:* -- --smoke)', function () {
  this.timeout(300_000);
  const outputs = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const tracePath = join(outputs, 'admit-calls.jsonl');
  const heapProfilePath = join(outputs, 'waiting-room.heapprofile');
  after(() => rmSync(outputs, { recursive: true, force: true }));

  it('bench:crypto seals and opens frames of each size and prints p50 / p99 per frame', async () => {
    const row = (what: string) => re(`^${what.replace(/[()]/g, '\\$&')} +\\d+ B +# µs +# µs +# µs +# µs$`);
    await expectFigures('crypto', 60_000, [
      /^bench:crypto - 20 frames per size/m,
      row('Opus audio frame (20 ms)'),
      row('VP8 delta frame, 640x480'),
      row('VP8 delta frame, 1280x720'),
      row('VP8 key frame, 1280x720'),
    ]);
  });

  it('bench:purge purges its three data sets and prints time per item, commands, round trips and the ratios', async () => {
    const set = (label: string, expired: number, live: number) =>
      re(`^${label}: ${expired} expired \\+ ${live} live -> removed ${expired}, kept ${live}; # ms \\(# µs per expired item\\), # Redis commands in # round trips$`);
    await expectFigures('purge', 90_000, [
      set('A', 30, 30),
      set('B', 300, 30),
      set('C', 300, 300),
      re(`^B/A time #x for 10x the expired items \\(commands #x\\)$`),
      re(`^C/B time #x for 10x the live items \\(commands #x\\)$`),
    ]);
  });

  it('bench:webhooks admits with no, a quick and a dead endpoint and prints the ratios, delivery latency and the burst', async () => {
    const setup = (name: string) => re(`^  ${name} +endpoint: n=2 p50=# ms p95=# ms mean=# ms min=# ms max=# ms  p50 ratio to none: #$`);
    await expectFigures('webhooks', 90_000, [
      setup('none'),
      setup('quick'),
      setup('dead'),
      re(`^  the dead endpoint was sent # requests, answered none$`),
      re(`^quick endpoint, event -> EHR has it, during the admissions: n=# p50=# ms p95=# ms`),
      re(`^burst of 20 events: into the outbox in # ms \\(#/s\\); all delivered in # ms \\(#/s\\); event -> EHR p50 # ms, p99 # ms$`),
      re(`^bench:webhooks: admission p50 with a quick endpoint #x, with a dead one #x the baseline \\(# ms\\)$`),
    ]);
  });

  it('bench:waiting-room runs every rate against ours and bare Socket.IO, fills, and counts the round trips of a visitor', async () => {
    const rate = (r: number) => re(`^ +${r} arrivals/s  ours p50 # ms, p99 # ms \\(n=\\d*[1-9]\\d*\\)   bare Socket.IO p50 # ms, p99 # ms \\(n=\\d*[1-9]\\d*\\)   p99 ratio #x$`);
    await expectFigures('waiting-room', 240_000, [
      rate(100),
      rate(500),
      rate(1000),
      re(`^  fill: # check-ins failed, # visitor sockets refused or dropped`),
      re(`^  waiting sockets held by the server process: #`),
      re(`^  memory per waiting visitor \\(server process, RSS / heap\\): # KB / # KB`),
      re(`^  Redis round trips per visitor, check-in to call end .*: median # \\(goal <= 12\\); commands #: \\w+ #`),
      re(`^  allocated in the bench process per arrival at 500/s \\(ours, sampled\\): # KB; the profile: `),
      re(`^    by where \\(a function's own allocations\\): \\S+ # %`),
    ], ['--heap-sample', heapProfilePath]);
    // The profile Chrome's DevTools opens: a tree of allocating functions.
    const profile = JSON.parse(readFileSync(heapProfilePath, 'utf8')) as { head: { children: unknown[] } };
    expect(profile.head.children).to.not.be.empty;
  });

  // With --rtp (which brings the SFU's trace too) and --trace, so neither can rot.
  it('bench:admit admits a visitor with and without E2EE and on the bare floor in real Chromium and prints p50 / p95 each way, the ratios to the floor and where the time went', async () => {
    const seen = (label: string, who: string) => re(`^  ${label}  ${who}: n=1 p50=# ms p95=# ms mean=# ms min=# ms max=# ms$`);
    await expectFigures('admit', 180_000, [
      /^the floor, where the time goes \(p50 ms after the click, per step\):$/m,
      re(`^ +#  visitor: recv-transport-connected$`),
      re(`^ +#  visitor: rtp first video packet received$`),
      /^ +\d+  professional: rtp key frame encoded #1$/m,
      /^ +\d+  sfu: consumer to the visitor: key frame out #1$/m,
      re(`^ +#  sfu: visitor's producer: first video packet in$`),
      /^with E2EE, where the time goes \(p50 ms after the click, per step\):$/m,
      /^without E2EE, where the time goes/m,
      re(`^ +#  visitor: first video frame presented$`),
      re(`^ +#  professional: first video frame presented$`),
      seen('with E2EE   ', 'visitor sees the professional'),
      seen('with E2EE   ', 'professional sees the visitor'),
      seen('without E2EE', 'visitor sees the professional'),
      seen('without E2EE', 'professional sees the visitor'),
      seen('floor       ', 'visitor sees the professional'),
      seen('floor       ', 'professional sees the visitor'),
      re(`^  ours / floor, visitor sees the professional: with E2EE p50 #x p95 #x, without E2EE p50 #x p95 #x$`),
      re(`^  ours / floor, professional sees the visitor: with E2EE p50 #x p95 #x, without E2EE p50 #x p95 #x$`),
      re(`^bench:admit \\(.*\\): p50 # ms \\(without E2EE, same run: p50 # ms; the key exchange adds # ms\\)$`),
      re(`^bench:admit ratio to the floor at p50 \\(floor # ms visitor side, # ms professional side\\): with E2EE #x / #x \\(goal <= 1.5x\\)$`),
    ], ['--rtp', '--trace', tracePath]);
    // One line per counted call and way of calling, each with the SFU's steps beside the pages'.
    const lines = readFileSync(tracePath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { mode: string; call: number; marks: Record<string, number> });
    expect(lines.map((l) => l.mode).sort()).to.deep.equal(['e2ee', 'floor', 'plain']);
    for (const l of lines) {
      expect(l.call).to.equal(1);
      expect(l.marks['visitor: first video frame presented'], `${l.mode}: the visitor's first frame`).to.be.a('number');
      expect(l.marks['sfu: consumer to the professional: key frame out #1'], `${l.mode}: the SFU's key frame to the professional`).to.be.a('number');
    }
  });

  it('bench:e2ee holds a call with and without E2EE and prints both browsers\' CPU per second of call and the ratio', async () => {
    const call = (mode: string) => re(`^  ${mode} +# CPU s per s of call   sending: professional \\d+x\\d+@#.*, visitor \\d+x\\d+@#.*   frames decoded \\d+ / \\d+$`);
    await expectFigures('e2ee', 180_000, [
      call('e2ee'),
      call('plain'),
      re(`^  with E2EE: # CPU s/s \\(n=2\\), without: # CPU s/s \\(n=2\\)$`),
      re(`^bench:e2ee \\(.*\\): #x \\(goal <= 1.10x\\)$`),
    ]);
  });
});
