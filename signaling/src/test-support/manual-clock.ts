import type { Clock } from '../clock.ts';

interface Scheduled {
  at: number;
  /** Periodic timers run again this long after each run; one-shot timers have none. */
  everyMs?: number;
  fn: () => unknown;
}

/**
 * A clock the test moves: it starts at real time, and its timers run only when `advance` passes their
 * time, awaited (a session check's Redis read is done when `advance` resolves). So a test sees a grace
 * period pass, or two session checks run, at once and every time.
 */
export class ManualClock implements Clock {
  private offsetMs = 0;
  private readonly scheduled = new Set<Scheduled>();

  now(): number {
    return Date.now() + this.offsetMs;
  }

  after(ms: number, fn: () => unknown): () => void {
    const entry: Scheduled = { at: this.now() + ms, fn };
    this.scheduled.add(entry);
    return () => this.scheduled.delete(entry);
  }

  every(ms: number, fn: () => unknown): () => void {
    const entry: Scheduled = { at: this.now() + ms, everyMs: ms, fn };
    this.scheduled.add(entry);
    return () => this.scheduled.delete(entry);
  }

  /** How many one-shot timers are waiting (e.g. an abandoned call's grace period, once it started). */
  get pendingOnce(): number {
    return [...this.scheduled].filter((s) => s.everyMs === undefined).length;
  }

  /** Moves the clock on by `ms`, running (and awaiting) every timer due on the way, in time order. */
  async advance(ms: number): Promise<void> {
    const target = this.now() + ms;
    for (;;) {
      const due = [...this.scheduled].filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      if (due.everyMs === undefined) this.scheduled.delete(due);
      else due.at += due.everyMs;
      await due.fn();
    }
    this.offsetMs += target - this.now();
  }
}
