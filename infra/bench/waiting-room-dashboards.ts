/*
 * The dashboards of `npm run bench:waiting-room`, in a process of their own: three professionals' sockets
 * on our server and three on the bare baseline, each noting how long after its arrival each arrival's event
 * came. In the bench process they shared an event loop with our server, so a busy server delayed its own
 * dashboards' reading of an event it had already sent; a professional's browser is never in the server's
 * process. Driven over IPC by waiting-room.ts:
 *   { connect: { ours, cookie, bare } } -> { connected: true }
 *   { take: true } -> { latencies }   (those since the last take)
 *   { close: true } -> exits
 *
 *   node --import tsx infra/bench/waiting-room-dashboards.ts   (started by waiting-room.ts)
 */
import { io, type Socket } from 'socket.io-client';
import { NAMESPACE } from '../../signaling/protocol/socket.ts';

type Command = { connect: { ours: string; cookie: string; bare: string } } | { take: true } | { close: true };

let latencies: number[] = [];
const sockets: Socket[] = [];

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

process.on('message', (m: Command) => {
  if ('connect' in m) {
    const { ours, cookie, bare } = m.connect;
    const opening: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) {
      const pro = io(`${ours}${NAMESPACE.professional}`, { transports: ['websocket'], extraHeaders: { origin: ours, cookie }, reconnection: false, forceNew: true });
      pro.on('queue:arrived', (v: { arrivedAt: number }) => latencies.push(Date.now() - v.arrivedAt));
      const b = io(bare, { transports: ['websocket'], query: { dashboard: '1' }, forceNew: true });
      b.on('arrived', (e: { at: number }) => latencies.push(Date.now() - e.at));
      sockets.push(pro, b);
      opening.push(connected(pro), connected(b));
    }
    void Promise.all(opening).then(
      () => process.send!({ connected: true }),
      (error: Error) => process.send!({ connected: false, error: error.message }),
    );
  } else if ('take' in m) {
    process.send!({ latencies });
    latencies = [];
  } else {
    for (const s of sockets) s.disconnect();
    process.disconnect();
  }
});
process.send!({ ready: true });
