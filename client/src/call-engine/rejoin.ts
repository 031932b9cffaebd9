/** The server refused the join itself: the call has ended, or this participant is no longer in it. */
export class JoinRefused extends Error {}

/** Each failed try of a rejoin waits longer, from this up to REJOIN_MAX_DELAY_MS. */
const REJOIN_FIRST_DELAY_MS = 250;
const REJOIN_MAX_DELAY_MS = 4000;
/** Tries at the longest wait before the call is given up as failed. */
const REJOIN_TRIES_AT_MAX = 5;

export interface Rejoining {
  connected(): boolean;
  join(): Promise<void>;
  /** A newer rejoin took over, or the call ended meanwhile. */
  superseded(): boolean;
  /** Counts one more try failed at the longest wait, over this and earlier rejoins (a join that holds resets it). */
  failedAtLongestWait(): number;
  closeTransports(): void;
  /** The server said the call is over for us. */
  ended(): void;
  failed(error: unknown): void;
}

/**
 * Joins again after lost media (a dead media server, a dropped connection), retrying with backoff until a
 * join holds, the server refuses it, a newer rejoin takes over, or it has failed too often.
 */
export async function rejoinWithBackoff(call: Rejoining): Promise<void> {
  for (let delay = REJOIN_FIRST_DELAY_MS; ; delay = Math.min(delay * 2, REJOIN_MAX_DELAY_MS)) {
    // Without signaling there is nothing to try: the reconnect starts a new rejoin.
    if (!call.connected()) return;
    try {
      await call.join();
      return;
    } catch (error) {
      if (call.superseded()) return;
      // Only the server's answer to the join itself says the call is over for us; a refusal of a later
      // step (a transport of an earlier, superseded join) is retried.
      if (error instanceof JoinRefused) return call.ended();
      if (delay >= REJOIN_MAX_DELAY_MS && call.failedAtLongestWait() > REJOIN_TRIES_AT_MAX) return call.failed(error);
      call.closeTransports();
      await new Promise((r) => setTimeout(r, delay));
      if (call.superseded()) return;
    }
  }
}
