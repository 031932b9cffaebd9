import type { Socket } from 'socket.io-client';
import type { CallClientEvents, CallServerEvents } from '../../../signaling/protocol/index.ts';
import { request, RequestError } from './request.ts';

export type CallSocket = Socket<CallServerEvents, CallClientEvents>;

type Answer<K extends keyof CallClientEvents> = Parameters<Parameters<CallClientEvents[K]>[1]>[0] extends infer A ? (A extends { ok: true } ? A : never) : never;

/** A call request and its answer (the ack's payload when it is ok, else a RequestError). */
export type Ask = <K extends keyof CallClientEvents & string>(event: K, payload: Parameters<CallClientEvents[K]>[0]) => Promise<Answer<K>>;

/**
 * A call request while signaling is down fails at once rather than waiting in Socket.IO's buffer: sent
 * after the reconnect it would belong to a join that no longer exists.
 */
export function asker(socket: CallSocket): Ask {
  return <K extends keyof CallClientEvents & string>(event: K, payload: Parameters<CallClientEvents[K]>[0]) => {
    if (!socket.connected) return Promise.reject(new RequestError('timeout', `${event}: not connected`));
    // request() is typed for any table of events; this one's answers are narrowed to the call's here.
    return request(socket as never, event as never, payload as never) as Promise<Answer<K>>;
  };
}

/** What each part of a call needs of the rest: its id, its requests, and a way to say the snapshot changed. */
export interface CallContext {
  readonly callId: string;
  readonly ask: Ask;
  changed(): void;
}
