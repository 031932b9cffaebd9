import type { Socket } from 'socket.io-client';
import type { Ack, ErrorCode } from '../../../signaling/protocol/index.ts';

/** A failed ack, carrying the server's error code so screens can explain it. */
export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

type EventsWithAck = Record<string, (payload: never, ack: (res: Ack<object>) => void) => void>;
type Payload<E, K extends keyof E> = E[K] extends (payload: infer P, ack: never) => void ? P : never;
type Result<E, K extends keyof E> = E[K] extends (payload: never, ack: (res: Ack<infer R>) => void) => void ? R : never;

/** Emits a client -> server event and resolves with the ack's payload, or rejects with its error code. */
export function request<E extends EventsWithAck, K extends keyof E & string>(
  socket: Socket<never, E>,
  event: K,
  payload: Payload<E, K>,
  timeoutMs = 10_000,
): Promise<Result<E, K>> {
  return new Promise((resolve, reject) => {
    // Socket.IO's typed emit cannot follow an event name that is itself a type parameter: the payload and
    // the answer are typed by this function's signature instead, and the socket is used untyped here.
    const untyped = socket as unknown as Socket;
    untyped.timeout(timeoutMs).emit(event, payload, (err: Error | null, res: Ack<object>) => {
      if (err) return reject(new RequestError('timeout', `${event}: no answer`));
      // The same: the ack's type is E[K]'s, which TypeScript cannot narrow from the untyped emit.
      if (res.ok) return resolve(res as unknown as Result<E, K>);
      reject(new RequestError(res.error.code, res.error.message));
    });
  });
}
