import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';
import { endCall } from './call-ending.ts';
import type { CallSockets } from './call-sockets.ts';

/**
 * Calls whose last participant's connection closed (tabs shut, both networks gone): a reload or a
 * reconnection rejoins within the grace period; past it the call ends as a hang-up would (history,
 * audit, the consultation's end for its EHR, the payment), so an abandoned call is not "in call" for ever.
 */
export class AbandonedCalls {
  /** callId -> the timer that ends it unless someone rejoins. */
  private readonly timers = new Map<string, () => void>();

  constructor(
    private readonly sockets: CallSockets,
    private readonly s: Pick<Services, 'calls' | 'log' | 'config' | 'domainEvents' | 'media' | 'notify' | 'clock'>,
  ) {}

  endUnlessRejoined(orgId: string, callId: string): void {
    this.timers.get(callId)?.();
    const cancel = this.s.clock.after(this.s.config.CALL_ABANDONED_SECONDS * 1000, () => {
      this.timers.delete(callId);
      if (this.sockets.joined.get(callId)?.size) return;
      void (async () => {
        const call = await this.s.calls.get(orgId, callId);
        if (this.sockets.joined.get(callId)?.size) return;
        if (call?.state !== 'active') {
          // Ended meanwhile by someone else, or gone with its retention: its media must not outlive it.
          this.sockets.cancelJoins((a) => a.callId === callId, 'ended');
          this.s.media.closeCall(callId);
          return;
        }
        this.s.log.info({ callId, orgId }, 'nobody came back to the call: ending it');
        await endCall(this.sockets, this.s, call, null, null);
      })().catch((err: Error) => {
        if (!(err instanceof AppError && err.code === 'call_ended')) this.s.log.warn({ callId, err: err.message }, 'could not end an abandoned call');
      });
    });
    this.timers.set(callId, cancel);
  }

  /** Someone joined the call: it is not abandoned. */
  rejoined(callId: string): void {
    this.timers.get(callId)?.();
    this.timers.delete(callId);
  }

  close(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }
}
