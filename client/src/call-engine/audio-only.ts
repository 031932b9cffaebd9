import type { NetworkRating } from '../../../signaling/protocol/index.ts';

/** Two poor measurements in a row (10 s) before video stops: one bad moment is not a bad network. */
export const POOR_TO_ENTER = 2;
/** Three good ones in a row (15 s) before it comes back, so it does not flap on a connection at the edge. */
export const GOOD_TO_LEAVE = 3;

/**
 * When a connection cannot carry video, a call goes on with sound only (sending and receiving no camera
 * video) rather than breaking up; when the connection has been good for a while, video comes back.
 * Someone who asks for video anyway gets it for the rest of the call.
 */
export class AudioOnlyPolicy {
  private poor = 0;
  private good = 0;
  private overridden = false;
  on = false;

  /** Feeds one measurement; answers the new state when it changes, else null. */
  next(rating: NetworkRating): boolean | null {
    if (this.overridden) return null;
    this.poor = rating === 'poor' ? this.poor + 1 : 0;
    this.good = rating === 'good' ? this.good + 1 : 0;
    if (!this.on && this.poor >= POOR_TO_ENTER) return (this.on = true);
    if (this.on && this.good >= GOOD_TO_LEAVE) {
      this.on = false;
      return false;
    }
    return null;
  }

  /** Video wanted whatever the network: audio-only is off and stays off. */
  override(): boolean | null {
    this.overridden = true;
    if (!this.on) return null;
    this.on = false;
    return false;
  }
}
