import type { Server as SocketServer } from 'socket.io';
import type { CallService } from '../calls/call-service.ts';
import type { Services } from '../services.ts';

/** An engine.io connection as far as stopping needs it: the one transport under every namespace's socket. */
interface Connection {
  close(): void;
  once(event: 'close', listener: () => void): unknown;
}

const POLL_MS = 250;

/**
 * SIGTERM without losing anyone. From the first moment readiness is false and nothing new starts here
 * (check-ins answer shutting_down, socket handshakes are refused). Connections outside a call are closed
 * at once: Socket.IO clients see a transport close and reconnect by themselves, through the load balancer,
 * to a process that is ready; a waiting visitor keeps their place, since the waiting room lives in Redis
 * and their grace (VISITOR_GRACE_SECONDS) covers the move. Connections in a call stay while the call
 * goes on, up to SHUTDOWN_GRACE_SECONDS; a call's connections are closed as soon as it ends, and the
 * rest when the grace runs out (its participants then rejoin on another process). Then the server closes
 * as usual: the purge job, the webhook outbox and presence stop between their Redis steps, each step
 * atomic, so nothing is left half-written.
 */
export class GracefulStop {
  private readonly connections = new Set<Connection>();
  private stopping?: Promise<void>;

  constructor(
    private readonly s: Pick<Services, 'config' | 'log' | 'readiness'>,
    io: SocketServer,
    private readonly calls: CallService,
  ) {
    io.engine.on('connection', (conn: Connection) => {
      this.connections.add(conn);
      conn.once('close', () => this.connections.delete(conn));
    });
  }

  /** Runs once; later calls wait for the same stop. `close` is the server's own close, run at the end. */
  stop(close: () => Promise<void>): Promise<void> {
    this.stopping ??= this.drain(close);
    return this.stopping;
  }

  private async drain(close: () => Promise<void>): Promise<void> {
    this.s.readiness.markShuttingDown();
    const graceSeconds = this.s.config.SHUTDOWN_GRACE_SECONDS;
    const deadline = Date.now() + graceSeconds * 1000;
    this.s.log.info({ graceSeconds }, 'stopping: not ready, no new check-ins; connections outside calls move to another process');
    let announced = false;
    for (;;) {
      const inCalls = this.calls.connectionsInCalls();
      for (const conn of this.connections) if (!inCalls.has(conn)) conn.close();
      if (inCalls.size === 0) break;
      if (!announced) {
        this.s.log.info({ connections: inCalls.size, graceSeconds }, 'stopping: waiting for calls to end');
        announced = true;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.s.log.info({ connections: inCalls.size }, 'stopping: grace over; the calls still going on move to another process');
        break;
      }
      await new Promise((r) => setTimeout(r, Math.min(POLL_MS, left)));
    }
    await close();
    this.s.log.info('stopped');
  }
}
