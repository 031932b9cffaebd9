import type { NetworkCheckRun } from './network-check.ts';

const KEY = 'consult.network-check';
/** As long as the server keeps a check's figures for a check-in to take along. */
const KEPT_MS = 55 * 60 * 1000;

/**
 * The last network check in this browser (its id and rating; nothing about the person), so a check-in
 * soon after /check, or after a reload, can take it along instead of sending none.
 */
export const recentNetworkCheck = {
  save(run: NetworkCheckRun): void {
    localStorage.setItem(KEY, JSON.stringify(run));
  },
  get(now = Date.now()): NetworkCheckRun | null {
    try {
      const run = JSON.parse(localStorage.getItem(KEY) ?? 'null') as NetworkCheckRun | null;
      return run && now - run.result.measuredAt < KEPT_MS ? run : null;
    } catch {
      return null;
    }
  },
};
