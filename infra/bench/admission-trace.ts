import type { Page, WebSocket } from 'playwright-core';
import type { TestServer } from '../../signaling/src/test-support/test-server.ts';
import type { Room } from '../../signaling/src/organizations/organization-store.ts';
import { socketRooms } from '../../signaling/src/socket/types.ts';

/*
 * What bench:admit saw on the way to each admission, so that a wait that gives up names its cause: the
 * step it waited for, what the professional's page showed, what its socket had heard and when, and what
 * the server held about the visitor and the dashboards at that moment. Read off the browsers' WebSocket
 * frames (Playwright's CDP view of them): the apps themselves are unchanged. The visitors are the bench's
 * own made-up names; nothing else of theirs is kept.
 */

interface Heard {
  at: number;
  /** `open <url>`, `closed`, `socket error`, or a Socket.IO event (`<- queue:arrived <visitorId>`, `-> queue:list`, acks). */
  what: string;
  visitorId?: string;
}

/** Every WebSocket of one page: when it opened and closed, the Socket.IO events each way, the last ping. */
export class SocketTrace {
  readonly heard: Heard[] = [];
  private lastPing = new Map<WebSocket, number>();

  constructor(page: Page, private readonly label: string) {
    // A script error can leave the page up but its app stopped: say so beside what its socket heard.
    page.on('pageerror', (error) => this.add(`page error: ${error.message.split('\n')[0]}`));
    page.on('console', (m) => void (m.type() === 'error' && this.add(`console error: ${m.text().split('\n')[0]!.slice(0, 200)}`)));
    page.on('websocket', (ws) => {
      const path = new URL(ws.url()).pathname;
      this.add(`open ${path}`);
      ws.on('framereceived', ({ payload }) => this.frame(ws, '<-', payload));
      ws.on('framesent', ({ payload }) => this.frame(ws, '->', payload));
      ws.on('socketerror', (error) => this.add(`socket error: ${error}`));
      ws.on('close', () => this.add(`closed ${path}`));
    });
  }

  /** Whether a `queue:arrived` for this visitor reached the page. */
  arrivalHeard(visitorId: string): boolean {
    return this.heard.some((h) => h.what.startsWith('<- queue:arrived') && h.visitorId === visitorId);
  }

  /** Lines for a report: the last `limit` things heard since `from` (epoch ms), times relative to `origin`. */
  since(from: number, origin: number, limit = 60): string[] {
    const pings = [...this.lastPing.values()];
    const lines = this.heard
      .filter((h) => h.at >= from)
      .slice(-limit)
      .map((h) => `${this.label} ${h.at >= origin ? '+' : ''}${h.at - origin} ms: ${h.what}`);
    if (pings.length) lines.push(`${this.label} socket: last engine.io ping ${Date.now() - Math.max(...pings)} ms ago`);
    return lines;
  }

  private frame(ws: WebSocket, way: '<-' | '->', payload: string | Buffer): void {
    if (typeof payload !== 'string') return;
    if (payload === '2' || payload === '3') return void this.lastPing.set(ws, Date.now());
    // Socket.IO over engine.io: 4 = message; then 0 connect, 1 disconnect, 2 event, 3 ack, 4 connect error.
    const m = /^4([0-4])(\/[\w-]+,)?(\d*)(.*)$/s.exec(payload);
    if (!m) return;
    const [, type, nsp = '/', ackId, body] = m;
    if (type === '2') {
      let name = '?';
      let visitorId: string | undefined;
      try {
        const [event, data] = JSON.parse(body!) as [string, { visitorId?: unknown }?];
        name = event;
        if (typeof data?.visitorId === 'string') visitorId = data.visitorId;
      } catch {
        // not JSON: keep the name unknown
      }
      this.add(`${way} ${name}${visitorId ? ` ${visitorId}` : ''}${ackId ? ` (ack ${ackId})` : ''}`, visitorId);
    } else if (type === '3') {
      this.add(`${way} ack ${ackId}${/"ok":false/.test(body!) ? ` refused: ${body!.slice(0, 120)}` : ''}`);
    } else {
      this.add(`${way} ${['connect', 'disconnect', '', '', 'connect error'][Number(type)]} ${nsp.replace(/,$/, '')}${type === '4' ? `: ${body!.slice(0, 120)}` : ''}`);
    }
  }

  private add(what: string, visitorId?: string): void {
    this.heard.push({ at: Date.now(), what, visitorId });
    if (this.heard.length > 2000) this.heard.splice(0, 1000);
  }
}

export interface AdmissionContext {
  server: TestServer;
  orgId: string;
  room: Room;
  pro: Page;
  proTrace: SocketTrace;
  visitor: Page;
  visitorTrace: SocketTrace;
  /** From the check-in's answer, once the visitor has checked in. */
  visitorId?: string;
  /** When the visitor opened the link (epoch ms): the report's times count from it. */
  startedAt: number;
}

/**
 * Runs one step of an admission; when it fails (a wait gave up), throws an error that names the step
 * and says what each side had seen: see `diagnosis`.
 */
export async function step<T>(ctx: AdmissionContext, what: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } catch (error) {
    const report = await diagnosis(ctx).catch((e: Error) => [`(the diagnosis failed too: ${e.message})`]);
    throw new Error(
      `bench:admit gave up at "${what}", waited ${Date.now() - started} ms from ${started - ctx.startedAt} ms after the visitor opened the link: ${(error as Error).message.split('\n')[0]}\n` +
        report.map((l) => `  ${l}`).join('\n'),
      { cause: error },
    );
  }
}

async function diagnosis(ctx: AdmissionContext): Promise<string[]> {
  const { server, orgId, room, pro, visitor, visitorId } = ctx;
  const lines: string[] = [];
  const rows = await pro.locator('li[data-visitor-id]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-visitor-id')}: ${(e as HTMLElement).innerText.replace(/\s+/g, ' ').slice(0, 100)}`));
  const notices = await pro.locator('[role=status], [role=alert]').allInnerTexts();
  lines.push(`professional's page ${new URL(pro.url()).pathname}: ${rows.length} waiting row(s)${rows.length ? `: ${rows.join(' | ')}` : ''}`);
  lines.push(`professional's page shows: ${(await pro.locator('main').first().innerText()).replace(/\s+/g, ' ').slice(0, 300)}`);
  if (notices.length) lines.push(`professional's page notices: ${notices.map((n) => n.trim()).filter(Boolean).join(' | ')}`);
  lines.push(`visitor's page ${new URL(visitor.url()).pathname}: ${(await visitor.locator('main, body').first().innerText()).replace(/\s+/g, ' ').slice(0, 200)}`);
  if (visitorId) {
    lines.push(`visitor ${visitorId}: queue:arrived ${ctx.proTrace.arrivalHeard(visitorId) ? 'reached' : 'did NOT reach'} the professional's page`);
    const stored = await server.services.waitingRoom.getVisitor(orgId, visitorId);
    lines.push(
      stored
        ? `server: visitor state ${stored.state}, presence ${stored.presence ?? 'unset'}, in ${stored.roomId === room.id ? 'the bench room' : `another room ${stored.roomId}`}${stored.leftReason ? `, left: ${stored.leftReason}` : ''}`
        : 'server: no such visitor stored',
    );
    const org = await server.services.organizations.getOrganization(orgId);
    const listed = await server.services.waitingRoom.listWaiting(orgId, [room], org?.retentionMs ?? 0);
    lines.push(`server: queue:list would give ${listed.length} visitor(s)${listed.some((v) => v.visitorId === visitorId) ? ', this one among them' : ', NOT this one'}`);
  } else {
    lines.push('visitor: no check-in answer seen (no visitor id)');
  }
  const nsp = server.services.notify.professionals;
  const inRoom = await nsp.in(socketRooms.room(orgId, room.id)).fetchSockets();
  lines.push(`server: ${nsp.sockets.size} dashboard socket(s) connected, ${inRoom.length} of them in the room's broadcast`);
  // The professional's side from before this visitor: the end of the previous call can matter.
  lines.push(`(times below: ms after the visitor opened the link)`);
  lines.push(...ctx.proTrace.since(ctx.startedAt - 15_000, ctx.startedAt), ...ctx.visitorTrace.since(ctx.startedAt, ctx.startedAt, 25));
  return lines;
}
