import type { Redis } from 'ioredis';
import type { Histogram } from 'prom-client';

/**
 * Times every command the client sends, from the send to the answer: ioredis has no hook for it, and
 * every command (single, pipelined, auto-pipelined, scripts) passes through `sendCommand`. Labelled by the
 * command's name only; its arguments (keys, values) never reach a label.
 */
export function timeRedisCommands(redis: Redis, histogram: Histogram<'command'>): void {
  const send = redis.sendCommand.bind(redis) as (...args: unknown[]) => unknown;
  (redis as { sendCommand: (...args: unknown[]) => unknown }).sendCommand = (...args: unknown[]) => {
    const command = args[0] as { name?: string; promise?: Promise<unknown> };
    if (command?.promise && typeof command.name === 'string') {
      const end = histogram.startTimer({ command: command.name.toLowerCase() });
      command.promise.then(
        () => end(),
        () => end(),
      );
    }
    return send(...args);
  };
}
