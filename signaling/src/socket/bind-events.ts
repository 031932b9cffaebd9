import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { Ack, ErrorBody, EventTable } from '../../protocol/index.ts';
import { MediaError } from '../../../sfu/src/index.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

export type Handlers<T extends EventTable> = {
  [K in keyof T]: (payload: z.output<T[K]['request']>) => Promise<T[K]['response']>;
};

/**
 * Binds a namespace's event table to its handlers. Every event must come with an ack; the payload is
 * parsed against the event's schema before the handler runs, and a malformed payload, an unknown
 * event or extra arguments get `bad_request` and change nothing.
 */
export function bindEvents<T extends EventTable>(
  socket: Socket,
  table: T,
  handlers: Handlers<T>,
  log: Logger,
  guard?: () => Promise<void>,
): void {
  for (const event of Object.keys(table) as (keyof T & string)[]) {
    socket.on(event as string, async (...args: unknown[]) => {
      const ack = args.at(-1);
      if (typeof ack !== 'function') return;
      const reply = ack as (res: Ack<object>) => void;
      if (args.length !== 2) return reply(failure({ code: 'bad_request', message: 'expected one payload and an ack' }));
      const parsed = table[event]!.request.safeParse(args[0]);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return reply(failure({ code: 'bad_request', message: `${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}` }));
      }
      try {
        if (guard) await guard();
        const result = await handlers[event](parsed.data as z.output<T[typeof event]['request']>);
        reply({ ok: true, ...result });
      } catch (error) {
        reply(failure(toErrorBody(error, log, event)));
      }
    });
  }
  socket.onAny((event: string, ...args: unknown[]) => {
    if (Object.hasOwn(table, event)) return;
    const ack = args.at(-1);
    if (typeof ack === 'function') ack(failure({ code: 'bad_request', message: 'unknown event' }));
  });
}

const failure = (error: ErrorBody): Ack => ({ ok: false, error });

function toErrorBody(error: unknown, log: Logger, event: string): ErrorBody {
  if (error instanceof AppError) return error.toBody();
  if (error instanceof MediaError) return { code: error.code, message: error.message };
  log.error({ event, err: error }, 'socket handler failed');
  return { code: 'internal', message: 'something went wrong on our side' };
}
