/*
 * The suite runs without mocha's --exit, so a test that leaves something open (a server, a Redis
 * connection, a worker, a timer) would keep the run from ending, or, with --exit, hide a leak the service
 * itself may have. Loaded by .mocharc.json ("require"): after the last test this waits a moment for
 * closes under way, then fails the run if anything still holds the process, naming each thing (a socket's
 * addresses, a child process's command, a timer's creation stack), and ends the process so the run does
 * not hang on it.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';

/** How long closes already under way (a socket's FIN, a child's exit) get before what is left counts. */
const SETTLE_MS = 3000;

const nativeSetTimeout = globalThis.setTimeout;
const nativeSetInterval = globalThis.setInterval;
const nativeClearTimeout = globalThis.clearTimeout;
const nativeClearInterval = globalThis.clearInterval;

/**
 * Timers are no handles Node lists with their owner, so the ones made through the globals are kept here
 * with where they were made, until they fire (a timeout) or are cleared.
 */
const timers = new Map<NodeJS.Timeout, string>();

function madeAt(): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, madeAt);
  return (holder.stack ?? '')
    .split('\n')
    .slice(2)
    .filter((line) => !line.includes('node:internal') && !line.includes('open-handles.ts'))
    .slice(0, 6)
    .join('\n');
}

type TimerArgs = [callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]];

const setTimeoutTracked = Object.assign(
  function setTimeout(...[callback, ms, ...args]: TimerArgs) {
    if (typeof callback !== 'function') return nativeSetTimeout(callback, ms, ...args);
    const timer = nativeSetTimeout(
      (...a: unknown[]) => {
        timers.delete(timer);
        callback(...a);
      },
      ms,
      ...args,
    );
    timers.set(timer, madeAt());
    return timer;
  },
  { __promisify__: nativeSetTimeout.__promisify__ },
);
// util.promisify(setTimeout) keeps working as Node's own.
Object.defineProperty(setTimeoutTracked, promisify.custom, { value: (nativeSetTimeout as unknown as Record<symbol, unknown>)[promisify.custom] });
globalThis.setTimeout = setTimeoutTracked as typeof globalThis.setTimeout;

globalThis.setInterval = function setInterval(...[callback, ms, ...args]: TimerArgs) {
  const timer = nativeSetInterval(callback, ms, ...args);
  timers.set(timer, madeAt());
  return timer;
} as typeof globalThis.setInterval;

globalThis.clearTimeout = function clearTimeout(timer: Parameters<typeof nativeClearTimeout>[0]) {
  if (timer && typeof timer === 'object') timers.delete(timer as NodeJS.Timeout);
  nativeClearTimeout(timer);
} as typeof globalThis.clearTimeout;

globalThis.clearInterval = function clearInterval(timer: Parameters<typeof nativeClearInterval>[0]) {
  if (timer && typeof timer === 'object') timers.delete(timer as NodeJS.Timeout);
  nativeClearInterval(timer);
} as typeof globalThis.clearInterval;

const stdio = new Set<unknown>([process.stdin, process.stdout, process.stderr]);

function describeHandle(handle: unknown): string | null {
  if (stdio.has(handle)) return null;
  const h = handle as { hasRef?: () => boolean; constructor?: { name?: string } };
  if (typeof h.hasRef === 'function' && !h.hasRef()) return null;
  if (handle instanceof net.Server) {
    const address = handle.address();
    return `a listening server (${typeof address === 'string' ? address : address ? `${address.address}:${address.port}` : 'not bound'})`;
  }
  if (handle instanceof net.Socket) {
    if (handle.destroyed) return null;
    const local = `${handle.localAddress ?? '?'}:${handle.localPort ?? '?'}`;
    return handle.remotePort ? `an open socket ${local} -> ${handle.remoteAddress}:${handle.remotePort}` : `an open socket or pipe ${local}`;
  }
  const child = handle as Partial<ChildProcess>;
  if (typeof child.pid === 'number' && Array.isArray(child.spawnargs)) {
    return `a child process ${child.pid}: ${child.spawnargs.join(' ').slice(0, 200)}`;
  }
  return `a ${h.constructor?.name ?? typeof handle}`;
}

/** What still keeps the process alive, each named; empty when nothing does. */
export function openHandles(): string[] {
  const getHandles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles;
  const held = getHandles.call(process).map(describeHandle).filter((d): d is string => d !== null);
  for (const [timer, stack] of timers) {
    const t = timer as NodeJS.Timeout & { _destroyed?: boolean };
    if (t._destroyed || !t.hasRef()) continue;
    held.push(`a timer made at\n${stack.replace(/^/gm, '      ')}`);
  }
  // Anything else Node counts (a timer made through node:timers, a pending fs request...), by kind.
  const kinds = process.getActiveResourcesInfo().filter((kind) => !['TTYWrap', 'PipeWrap', 'TCPSocketWrap', 'TCPServerWrap', 'ProcessWrap', 'Timeout'].includes(kind));
  for (const kind of new Set(kinds)) held.push(`${kinds.filter((k) => k === kind).length} × ${kind}`);
  const timeouts = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const named = held.filter((h) => h.startsWith('a timer')).length;
  if (timeouts > named) held.push(`${timeouts - named} × a timer made outside the globals (node:timers, an internal one)`);
  return held;
}

/** Mocha's global teardown: after every test and root hook, before the process would exit by itself. */
export async function mochaGlobalTeardown(): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  let held = openHandles();
  while (held.length > 0 && Date.now() < deadline) {
    // A ref'd wait: with only unref'd timers left the process would end here, before mocha sets its exit code.
    await new Promise((resolve) => nativeSetTimeout(resolve, 100));
    held = openHandles();
  }
  if (held.length === 0) return;
  // Mocha sets the failing exit code on exit; the process is ended because what is open would keep it.
  nativeSetTimeout(() => process.exit(), 1000).unref();
  const leak = new Error(`the run left ${held.length} thing(s) open after the last test:\n  - ${held.join('\n  - ')}`);
  leak.stack = `${leak.name}: ${leak.message}`; // where this check threw says nothing
  throw leak;
}
