import { loadConfig } from '../../signaling/src/config.ts';
import { createLogger } from '../../signaling/src/logger.ts';
import { startServer } from '../../signaling/src/server.ts';

/*
 * The signaling server as a process of its own, configured by the environment: what the restart test
 * kills with SIGKILL (no shutdown at all) and starts again, and what the graceful-stop test sends SIGTERM. Logs go to stderr; one line on stdout says it
 * is listening.
 */
const config = loadConfig(process.env);
const log = createLogger(config.LOG_LEVEL, { write: (chunk: string) => void process.stderr.write(chunk) });
const running = await startServer(config, log);
process.stdout.write(`listening ${running.url}\n`);
// As `npm start` does: SIGTERM/SIGINT stop gracefully (see lifecycle/graceful-stop.ts), then exit.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void running.stop().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`stopping failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  });
}
