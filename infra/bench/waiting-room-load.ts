/*
 * One load process of `npm run bench:waiting-room`: arrivals at a steady rate, each holding a waiting
 * socket open afterwards, against our server (check-in over HTTP, then the visitor socket) or against the
 * bare Socket.IO baseline (one POST that broadcasts, then a plain socket). Reports to its parent over IPC.
 *
 *   node --import tsx infra/bench/waiting-room-load.ts   (started by waiting-room.ts, driven over IPC)
 */
import { io, type Socket } from 'socket.io-client';

interface Phase {
  target: 'ours' | 'bare';
  url: string;
  slug: string;
  rate: number;
  seconds: number;
}

const sockets: Socket[] = [];
/** The baseline's sockets, closed before the fill so they do not take the bench process's file descriptors. */
const bareSockets: Socket[] = [];
let failures = 0;
/** Why check-ins failed in this phase: an HTTP status, or the error's code (a refused or reset connection). */
let failedBecause: Record<string, number> = {};
/** Visitor sockets our server refused or dropped (a full process says so here). */
let refused = 0;

async function arrive(phase: Phase): Promise<void> {
  try {
    if (phase.target === 'ours') {
      const res = await fetch(`${phase.url}/api/visits`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: phase.url },
        body: JSON.stringify({ roomSlug: phase.slug, answers: { name: 'Bench Visitor' } }),
      });
      if (res.status !== 201) throw new Error(String(res.status));
      const { visitorToken } = (await res.json()) as { visitorToken: string };
      const socket = io(`${phase.url}/visitor`, { auth: { token: visitorToken }, transports: ['websocket'], extraHeaders: { origin: phase.url }, reconnection: false });
      socket.once('connect_error', () => refused++);
      sockets.push(socket);
    } else {
      const res = await fetch(`${phase.url}/arrive`, { method: 'POST' });
      if (res.status !== 204) throw new Error(String(res.status));
      bareSockets.push(io(phase.url, { transports: ['websocket'], reconnection: false }));
    }
  } catch (error) {
    failures++;
    const cause = (error as { cause?: { code?: string } }).cause;
    const reason = cause?.code ?? (error as Error).message;
    failedBecause[reason] = (failedBecause[reason] ?? 0) + 1;
  }
}

async function run(phase: Phase): Promise<{ arrivals: number; failures: number; failedBecause: Record<string, number>; refused: number; sockets: number }> {
  const total = Math.round(phase.rate * phase.seconds);
  // Failed check-ins are counted per phase; refused sockets over all phases (one may drop any time later).
  failures = 0;
  failedBecause = {};
  const started = performance.now();
  const pending: Promise<void>[] = [];
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * phase.rate));
    for (; sent < due; sent++) pending.push(arrive(phase));
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(pending);
  return { arrivals: total, failures, failedBecause, refused, sockets: sockets.length + bareSockets.length };
}

process.on('message', (msg: { phase?: Phase; close?: boolean; closeBare?: boolean }) => {
  if (msg.close) {
    for (const s of [...sockets, ...bareSockets]) s.disconnect();
    process.exit(0);
  }
  if (msg.closeBare) {
    for (const s of bareSockets.splice(0)) s.disconnect();
    process.send!({ closed: true });
  }
  if (msg.phase) void run(msg.phase).then((result) => process.send!({ result }));
});
process.send!({ ready: true });
