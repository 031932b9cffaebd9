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
 * Some of a table's handlers, built when the first of their events arrives on the socket: a waiting
 * visitor's socket never builds its call's. Every handler is a closure per socket, and sockets are many.
 */
export class Later<H extends object> {
  private built?: H;
  constructor(
    /** The events these handlers answer (a part of the socket's table). */
    readonly events: EventTable,
    private readonly build: () => H,
  ) {}

  get handlers(): H {
    return (this.built ??= this.build());
  }
}

type Handler = (payload: unknown) => Promise<object>;

/**
 * Binds a namespace's event table to its handlers (in parts, some of them built `Later`). Every event must
 * come with an ack; the payload is parsed against the event's schema before the handler runs, and a
 * malformed payload, an unknown event or extra arguments get `bad_request` and change nothing. One listener
 * per socket hears every event (rather than one per event): waiting sockets are many, each listener a closure.
 */
export function bindEvents<T extends EventTable>(
  socket: Socket,
  table: T,
  handlers: Handlers<T> | (Partial<Handlers<T>> | Later<Partial<Handlers<T>>>)[],
  log: Logger,
  guard?: () => Promise<void>,
): void {
  const parts = (Array.isArray(handlers) ? handlers : [handlers]) as (Record<string, Handler> | Later<Record<string, Handler>>)[];
  const handlerOf = (event: string): Handler | undefined => {
    for (const part of parts) {
      if (part instanceof Later) {
        if (Object.hasOwn(part.events, event)) return part.handlers[event];
      } else if (Object.hasOwn(part, event)) return part[event];
    }
    return undefined;
  };
  socket.onAny(async (event: string, ...args: unknown[]) => {
    const ack = args.at(-1);
    if (typeof ack !== 'function') return;
    const reply = ack as (res: Ack<object>) => void;
    if (!Object.hasOwn(table, event)) return reply(failure({ code: 'bad_request', message: 'unknown event' }));
    if (args.length !== 2) return reply(failure({ code: 'bad_request', message: 'expected one payload and an ack' }));
    const parsed = table[event]!.request.safeParse(args[0]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply(failure({ code: 'bad_request', message: `${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}` }));
    }
    try {
      if (guard) await guard();
      const handler = handlerOf(event);
      if (!handler) throw new Error(`no handler for ${event}`);
      const result = await handler(parsed.data);
      reply({ ok: true, ...result });
    } catch (error) {
      reply(failure(toErrorBody(error, log, event)));
    }
  });
}

const failure = (error: ErrorBody): Ack => ({ ok: false, error });

function toErrorBody(error: unknown, log: Logger, event: string): ErrorBody {
  if (error instanceof AppError) return error.toBody();
  if (error instanceof MediaError) return { code: error.code, message: error.message };
  log.error({ event, err: error }, 'socket handler failed');
  return { code: 'internal', message: 'something went wrong on our side' };
}
