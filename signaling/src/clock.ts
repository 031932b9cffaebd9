/**
 * The time our own timers keep: the length of a call as it ends, the grace period of an abandoned call,
 * the re-check of an open dashboard's session. The server runs on the system's; tests hand in one they
 * move themselves (test-support/manual-clock.ts), so a grace period passes without waiting it out.
 */
export interface Clock {
  now(): number;
  /** Runs `fn` once, `ms` from now; the returned function cancels it. Never holds the process open. */
  after(ms: number, fn: () => unknown): () => void;
  /** Runs `fn` every `ms`; the returned function stops it. Never holds the process open. */
  every(ms: number, fn: () => unknown): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};
