import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

/** While Redis stays unreachable, one line per connection at most this often. */
const REPEAT_MS = 30_000;

/**
 * A lost Redis connection in the service's own log, as a line an operator can alert on, instead of
 * ioredis's stack traces on stderr at every reconnect attempt (what it prints when nobody listens).
 * The message names the address tried, never the password (ioredis's messages carry none).
 */
export function logRedisConnection(client: Redis, name: string, log: Logger): void {
  let lastLogged = 0;
  let failing = false;
  client.on('error', (err: Error) => {
    failing = true;
    if (Date.now() - lastLogged < REPEAT_MS) return;
    lastLogged = Date.now();
    log.warn({ connection: name, err: err.message }, 'redis connection failing; retrying');
  });
  client.on('ready', () => {
    if (!failing) return;
    failing = false;
    lastLogged = 0;
    log.info({ connection: name }, 'redis connection back');
  });
}
