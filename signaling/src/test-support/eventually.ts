/*
 * Waiting in tests for something that happens asynchronously (a write in the background, a socket closing,
 * a worker replaced). A loop that sleeps and then falls through hides the failure in a later, vaguer
 * assertion or none at all; this throws instead, naming what was awaited and why the last try failed.
 */

export interface EventuallyOptions {
  /** What is awaited, in the test's words: it names the failure ("the payment captured"). */
  what: string;
  /** Give up after this long (default 10 s, well inside mocha's timeout). */
  timeoutMs?: number;
  /** Pause between tries (default 20 ms). */
  intervalMs?: number;
}

/**
 * Retries `check` until it passes, and resolves with its value. A check passes when it returns (or
 * resolves to) anything but `false`, and does not throw, so both `() => x === 1` and
 * `() => expect(x).to.equal(1)` work. On timeout it throws `<what> did not happen within <n> ms` with the
 * last failure (the thrown error's message, or "the check was false").
 */
export async function eventually<T>(check: () => T | Promise<T>, opts: EventuallyOptions): Promise<Exclude<T, false>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastFailure = 'never checked';
  for (;;) {
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
      lastFailure = 'the check was false';
    } catch (error) {
      lastFailure = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) throw new Error(`${opts.what}: did not happen within ${timeoutMs} ms (last try: ${lastFailure})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
