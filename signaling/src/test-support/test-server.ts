import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import {
  EMBED_NAMESPACE,
  NAMESPACE,
  NETWORK_CHECK_NAMESPACE,
  type ProfessionalClientEvents,
  type ProfessionalServerEvents,
  type VisitorClientEvents,
  type VisitorServerEvents,
  type VisitResponse,
  type Me,
  type SecondFactorEnabled,
  type SecondFactorSetupInfo,
  type webrtc,
} from '../../protocol/index.ts';
import { codeFor } from '../auth/second-factor.ts';
import { sessionCookieName } from '../http/request-guards.ts';
import { keys } from '../redis/keys.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { startServer, type RunningServer } from '../server.ts';
import type { Services } from '../services.ts';
import type { PurgeJob } from '../retention/purge-job.ts';
import type { Reminders } from '../consultations/reminders.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { Organization, Room } from '../organizations/organization-store.ts';
import { freePort } from './free-port.ts';
import { startRedis, type TestRedis } from './redis-server.ts';
import { generateKeyPair } from '../../../client/src/call-engine/e2ee/key-exchange.ts';
import { toBase64Url } from '../../../client/src/call-engine/e2ee/bytes.ts';
import type { Clock } from '../clock.ts';

/** A real participant public key, for protocol tests that join calls without a browser. */
export const testPublicKey = toBase64Url((await generateKeyPair()).publicKey);

/*
 * A whole signaling server for tests: real Redis, real mediasoup workers (MEDIASOUP_WORKER_BIN must be
 * exported by whoever runs the tests), real HTTP and Socket.IO on a free port. Every log line the server
 * writes is kept in memory, so tests can check what reaches the logs.
 */

export interface TestServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** The server's PUBLIC_ORIGIN: what browsers of our own pages send as Origin. */
  origin: string;
  services: Services;
  /** The server's HTTP app (walk its routes with test-support/routes.ts). */
  app: RunningServer['app'];
  /** The server's purge job (tests run passes themselves rather than wait for the minute). */
  purge: PurgeJob;
  /** The server's reminder job (tests run passes themselves, with their own clock). */
  reminders: Reminders;
  /** Waiting visitors' presence (with `now`, tests run its heartbeats and sweeps themselves). */
  presence: RunningServer['presence'];
  /**
   * How far the server's authenticator clock runs ahead of real time: unusedCode moves it on a time step
   * when a member has used up the steps around now, instead of waiting 30 s for the next one.
   */
  authenticator: { aheadMs: number };
  redis: TestRedis;
  /** Every log line so far (raw JSON, one per entry). */
  logs(): string[];
  close(): Promise<void>;
}

export type VisitorClient = ClientSocket<VisitorServerEvents, VisitorClientEvents>;
export type ProfessionalClient = ClientSocket<ProfessionalServerEvents, ProfessionalClientEvents>;
type AnyClient = ClientSocket<any, any>;

const secrets = new WeakMap<TestRedis, { addressHashKey: string; dataKeys: string }>();
function secretsFor(redis: TestRedis) {
  if (!secrets.has(redis)) secrets.set(redis, { addressHashKey: randomBytes(32).toString('hex'), dataKeys: `t1:${randomBytes(32).toString('base64')}` });
  return secrets.get(redis)!;
}

/** Sockets opened through the helpers below, per server, so close() can tidy up after a failing test. */
const openSockets = new WeakMap<TestServer, Set<AnyClient>>();

/**
 * `tls`: the server terminates TLS with these PEM files (PUBLIC_ORIGIN becomes https).
 * `redis`: run on an existing Redis (to restart a server on the same data); it is then left running at
 * close(). Otherwise the server gets a Redis of its own, stopped at close().
 * `now`: the clock of presence deadlines (see VisitorPresence), so a test makes a grace period pass.
 * `clock`: the time our own timers keep (a ManualClock: call lengths, abandoned calls, session re-checks).
 */
export async function startTestServer(
  opts: { env?: Record<string, string>; redis?: TestRedis; tls?: { certFile: string; keyFile: string }; now?: () => number; clock?: Clock } = {},
): Promise<TestServer> {
  const ownRedis = !opts.redis;
  const redis = opts.redis ?? (await startRedis());
  try {
    const port = await freePort();
    // A random block of RTC ports, so parallel test runs on one machine rarely compete for them.
    const rtcMin = 40_000 + 1000 * Math.floor(Math.random() * 9);
    const env: Record<string, string> = {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_ORIGIN: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
      ...(opts.tls ? { TLS_CERT_FILE: opts.tls.certFile, TLS_KEY_FILE: opts.tls.keyFile } : {}),
      REDIS_URL: redis.url,
      // Both stable per Redis, so a server restarted on the same data reads what the first one wrote.
      ADDRESS_HASH_KEY: secretsFor(redis).addressHashKey,
      DATA_ENCRYPTION_KEYS: secretsFor(redis).dataKeys,
      MEDIA_WORKERS: '1',
      RTC_MIN_PORT: String(rtcMin),
      RTC_MAX_PORT: String(rtcMin + 999),
      LOG_LEVEL: 'info',
      // Every browser in the tests comes from 127.0.0.1: one address's hourly network tests would run out.
      NETWORK_CHECK_LIMIT_PER_HOUR: '10000',
      ...opts.env,
    };
    const config = loadConfig(env);
    const lines: string[] = [];
    const destination = {
      write(chunk: string) {
        for (const line of chunk.split('\n')) if (line) lines.push(line);
      },
    };
    const log = createLogger(config.LOG_LEVEL, destination);
    const authenticator = { aheadMs: 0 };
    const running = await startServer(config, log, { now: opts.now, authenticatorNow: () => Date.now() + authenticator.aheadMs, clock: opts.clock });
    const server: TestServer = {
      url: running.url,
      origin: config.publicOrigin,
      services: running.services,
      app: running.app,
      purge: running.purge,
      reminders: running.reminders,
      presence: running.presence,
      authenticator,
      redis,
      logs: () => [...lines],
      async close() {
        for (const socket of openSockets.get(server) ?? []) socket.disconnect();
        openSockets.delete(server);
        try {
          await running.close();
        } finally {
          if (ownRedis) await redis.stop();
        }
      },
    };
    openSockets.set(server, new Set());
    return server;
  } catch (error) {
    if (ownRedis) await redis.stop();
    throw error;
  }
}

/**
 * A stand-in for a built front-end (an index.html in a temp dir), so page routes answer the same with or
 * without a build; its <title> tells tests which app a page came from. Pass it as CLIENT_DIST / DASHBOARD_DIST; remove it with fs.rmSync after the tests.
 */
export function stubAppDist(title = 'app stub'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-dist-'));
  fs.writeFileSync(path.join(dir, 'index.html'), `<!doctype html><title>${title}</title>`);
  return dir;
}

export interface TestOrganization {
  org: Organization;
  professional: { id: string; email: string; password: string; name: string };
  room: Room;
}

/** An organization with one professional (who can log in) and their room; unique e-mail and slug each call. */
export async function createOrganization(
  services: Services,
  opts: { name?: string; retentionDays?: number; retentionSeconds?: number; slug?: string } = {},
): Promise<TestOrganization> {
  const suffix = randomBytes(4).toString('hex');
  const retention = opts.retentionSeconds ? { seconds: opts.retentionSeconds } : opts.retentionDays ? { days: opts.retentionDays } : undefined;
  const org = await services.organizations.createOrganization(opts.name ?? `Clinic ${suffix}`, retention);
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const name = `Dr. Test ${suffix}`;
  const email = `pro-${suffix}@example.com`;
  const pro = await services.organizations.createProfessional(org.id, { name, email, passwordHash: await hashPassword(password) });
  const room = await services.organizations.createRoom(org.id, { slug: opts.slug ?? `dr-${suffix}`, name, professionalId: pro.id });
  return { org, professional: { id: pro.id, email, password, name }, room };
}

export interface TestMember {
  id: string;
  email: string;
  password: string;
  name: string;
  /** Their personal room. */
  room: Room;
}

/** Another member of an organization (a professional or an admin) with a personal room, able to log in. */
export async function addMember(services: Services, orgId: string, opts: { name?: string; role?: 'professional' | 'admin' } = {}): Promise<TestMember> {
  const suffix = randomBytes(4).toString('hex');
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const name = opts.name ?? `Dr. Member ${suffix}`;
  const email = `member-${suffix}@example.com`;
  const pro = await services.organizations.createProfessional(orgId, { name, email, passwordHash: await hashPassword(password), role: opts.role });
  const room = await services.organizations.createRoom(orgId, { slug: `dr-${suffix}`, name, professionalId: pro.id });
  return { id: pro.id, email, password, name, room };
}

/** POST JSON with our own Origin (as the browser apps do). */
export function postJson(server: TestServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.origin, ...headers },
    body: JSON.stringify(body),
  });
}

/** The `name=value` pair of the first Set-Cookie header, or null. */
export function cookiePairOf(res: Response): string | null {
  const header = res.headers.getSetCookie()[0];
  return header ? header.split(';')[0]!.trim() : null;
}

/**
 * Logs a member in as the dashboard does: the password, then the second factor through its own endpoint
 * (set up on the first login, as a new member would), playing the member's authenticator app with the
 * secret stored for them. A code works once, so this waits for a fresh time step if the three a server
 * accepts (one either side of now) are used up. A step still pending after that (a new password) is left
 * to the caller: see `pending`.
 */
export async function login(
  server: TestServer,
  email: string,
  password: string,
): Promise<{ cookie: string; csrfToken: string; pending: Me['pending']; recoveryCodes?: string[] }> {
  const res = await postJson(server, '/api/auth/login', { email, password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = cookiePairOf(res);
  if (!cookie) throw new Error('login set no cookie');
  let me = (await res.json()) as Me;
  const headers = { cookie, 'x-csrf-token': me.csrfToken };
  let recoveryCodes: string[] | undefined;
  if (me.pending === 'second-factor-setup') {
    const setup = (await (await fetch(`${server.url}/api/auth/second-factor/setup`, { headers: { cookie } })).json()) as SecondFactorSetupInfo;
    const done = await postJson(server, '/api/auth/second-factor/setup', { code: codeFor(setup.secret) }, headers);
    if (done.status !== 200) throw new Error(`second factor setup failed: ${done.status} ${await done.text()}`);
    ({ me, recoveryCodes } = (await done.json()) as SecondFactorEnabled);
  } else if (me.pending === 'second-factor') {
    const code = await unusedCode(server, me.professional.id, me.organization.id);
    const done = await postJson(server, '/api/auth/second-factor', { code }, headers);
    if (done.status !== 200) throw new Error(`second factor failed: ${done.status} ${await done.text()}`);
    me = (await done.json()) as Me;
  }
  return { cookie, csrfToken: me.csrfToken, pending: me.pending, recoveryCodes };
}

/**
 * A code of the member's app for a time step the server has not seen used. When the steps around now are
 * used up, the server's authenticator clock moves on a step (as 30 s of waiting would): codes typed from
 * the real clock afterwards are then a step behind, which the server still takes (one step of drift).
 */
export async function unusedCode(server: TestServer, proId: string, orgId: string): Promise<string> {
  const secret = await server.services.secondFactor.secretOf(orgId, proId);
  if (!secret) throw new Error('no second factor set up');
  const last = Number((await server.redis.client.hget(keys.professional(orgId, proId), 'totpLastStep')) ?? -1);
  for (;;) {
    const current = Math.floor((Date.now() + server.authenticator.aheadMs) / 30_000);
    for (const step of [current - 1, current, current + 1]) if (step > last) return codeFor(secret, step * 30_000 + 1000);
    server.authenticator.aheadMs += 30_000;
  }
}

/**
 * A session for a member as a completed login leaves it (password and second factor taken), made by the
 * server's own session store: for tests whose subject is not logging in (browser suites open the dashboard
 * with it), so they need not wait for fresh authenticator codes.
 */
export async function sessionCookieFor(server: TestServer, orgId: string, professionalId: string): Promise<string> {
  return (await server.services.sessions.create(orgId, professionalId)).cookieValue;
}

export async function joinWaitingRoom(server: TestServer, roomSlug: string, name: string): Promise<VisitResponse> {
  const res = await postJson(server, '/api/visits', { roomSlug, answers: { name } });
  if (res.status !== 201) throw new Error(`check-in failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as VisitResponse;
}

// ---------- sockets ----------

export interface ReceivedEvent {
  event: string;
  args: unknown[];
}

export interface EventRecorder {
  /** Every event the socket received since it was created (for sockets from the helpers below). */
  readonly events: ReceivedEvent[];
  /** Names of the received events, in order. */
  names(): string[];
  /** Resolves with the first (already received or future) matching event's first argument. */
  waitFor<T = unknown>(event: string, predicate?: (arg: T) => boolean, timeoutMs?: number): Promise<T>;
}

const recorders = new WeakMap<AnyClient, EventRecorder>();

/**
 * Records every event the socket receives (socket.onAny). Sockets made by visitorSocket/professionalSocket
 * are recorded from creation, so nothing that arrives right after connecting is missed.
 */
export function recordEvents(socket: AnyClient): EventRecorder {
  const existing = recorders.get(socket);
  if (existing) return existing;
  const events: ReceivedEvent[] = [];
  const waiters = new Set<(e: ReceivedEvent) => void>();
  socket.onAny((event: string, ...args: unknown[]) => {
    const e = { event, args };
    events.push(e);
    for (const w of [...waiters]) w(e);
  });
  const recorder: EventRecorder = {
    events,
    names: () => events.map((e) => e.event),
    waitFor<T>(event: string, predicate: (arg: T) => boolean = () => true, timeoutMs = 10_000) {
      const matches = (e: ReceivedEvent) => e.event === event && predicate(e.args[0] as T);
      const seen = events.find(matches);
      if (seen) return Promise.resolve(seen.args[0] as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no '${event}' within ${timeoutMs} ms (received: ${events.map((x) => x.event).join(', ') || 'nothing'})`));
        }, timeoutMs);
        const waiter = (e: ReceivedEvent) => {
          if (!matches(e)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(e.args[0] as T);
        };
        waiters.add(waiter);
      });
    },
  };
  recorders.set(socket, recorder);
  return recorder;
}

/** Why a socket could not connect (the connect_error's message), for tests of refused connections. */
export class ConnectRefused extends Error {}

function connect<S extends AnyClient>(server: TestServer, namespace: string, options: {
  origin?: string;
  cookie?: string;
  token?: string;
}): Promise<S> {
  const extraHeaders: Record<string, string> = {};
  const origin = options.origin ?? server.origin;
  if (origin) extraHeaders.origin = origin;
  if (options.cookie) extraHeaders.cookie = options.cookie;
  const socket = io(`${server.url}${namespace}`, {
    transports: ['websocket'],
    extraHeaders,
    auth: options.token === undefined ? {} : { token: options.token },
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
    autoConnect: false,
  }) as S;
  recordEvents(socket);
  openSockets.get(server)?.add(socket);
  return new Promise<S>((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('connect_error');
      resolve(socket);
    });
    socket.once('connect_error', (err: Error) => {
      socket.disconnect();
      openSockets.get(server)?.delete(socket);
      reject(new ConnectRefused(err.message));
    });
    socket.connect();
  });
}

/** A visitor's socket, connected (rejects with ConnectRefused if the server refuses it). origin '' sends none. */
export function visitorSocket(server: TestServer, token: string, origin?: string): Promise<VisitorClient> {
  return connect<VisitorClient>(server, NAMESPACE.visitor, { token, origin });
}

/** A professional's socket with the session cookie (`name=value`), connected. origin '' sends none. */
export function professionalSocket(server: TestServer, cookie: string | undefined, origin?: string): Promise<ProfessionalClient> {
  return connect<ProfessionalClient>(server, NAMESPACE.professional, { cookie, origin });
}

/** An embedded professional view's socket (a professional link's bearer token, no cookie), connected. */
export function embeddedSocket(server: TestServer, token: unknown): Promise<AnyClient> {
  return connect<AnyClient>(server, EMBED_NAMESPACE, { token: token as string });
}

/** Redeems a professional link's token as its page does (top level and iframe alike). */
export function redeemProfessionalLink(server: TestServer, token: unknown): Promise<Response> {
  return postJson(server, '/api/professional-links/redeem', { token });
}

/** A socket of the network check (anyone may open one), connected. */
export function networkCheckSocket(server: TestServer, origin?: string): Promise<AnyClient> {
  return connect<AnyClient>(server, NETWORK_CHECK_NAMESPACE, { origin });
}

/** Resolves with the connect_error message if the connection is refused; fails the test if it connects. */
export async function refusedConnection(attempt: Promise<AnyClient>): Promise<string> {
  try {
    const socket = await attempt;
    socket.disconnect();
  } catch (error) {
    if (error instanceof ConnectRefused) return error.message;
    throw error;
  }
  throw new Error('the socket connected but should have been refused');
}

type AckOf<F> = F extends (payload: never, ack: (res: infer R) => void) => void ? R : never;
type PayloadOf<F> = F extends (payload: infer P, ack: never) => void ? P : never;
type EmitMap<S> = S extends ClientSocket<any, infer E> ? E : never;

export const ACK_TIMEOUT_MS = 10_000;

/** Emits an event with an ack and resolves with the ack object (rejects if none comes within the timeout). */
export function ask<S extends VisitorClient | ProfessionalClient, K extends keyof EmitMap<S> & string>(
  socket: S,
  event: K,
  payload: PayloadOf<EmitMap<S>[K]>,
  timeoutMs = ACK_TIMEOUT_MS,
): Promise<AckOf<EmitMap<S>[K]>> {
  return emitWithAck(socket, event, [payload], timeoutMs) as Promise<AckOf<EmitMap<S>[K]>>;
}

/**
 * Emits any event name with any arguments, then an ack; resolves with the ack's first argument. For tests
 * of malformed input, which the typed `ask` would not let through.
 */
export function askRaw(socket: AnyClient, event: string, ...args: unknown[]): Promise<unknown> {
  return emitWithAck(socket, event, args, ACK_TIMEOUT_MS);
}

function emitWithAck(socket: AnyClient, event: string, args: unknown[], timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for '${event}' within ${timeoutMs} ms`)), timeoutMs);
    (socket.emit as (ev: string, ...a: unknown[]) => void)(event, ...args, (res: unknown) => {
      clearTimeout(timer);
      resolve(res);
    });
  });
}

/**
 * The sentinel for "nothing arrived" checks: an ack round trip on the socket (an event the server answers
 * at once with bad_request and ignores). Socket.IO keeps one socket's packets in order, so once the answer
 * is here, every event the server emitted to this socket before it has arrived too.
 */
export async function roundTrip(socket: AnyClient): Promise<void> {
  await emitWithAck(socket, 'test:round-trip', [{}], ACK_TIMEOUT_MS);
}

/** Resolves when the socket is disconnected (immediately if it already is), with the reason. */
export function disconnected(socket: AnyClient, timeoutMs = 10_000): Promise<string> {
  if (!socket.connected) return Promise.resolve('already disconnected');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still connected after ${timeoutMs} ms`)), timeoutMs);
    socket.once('disconnect', (reason: string) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/** The transports on a call's router in this server, as mediasoup itself counts them. */
export async function transportsOnCall(server: TestServer, callId: string): Promise<string[]> {
  return ((await server.services.media.existingRouter(callId)!.router.dump()) as { transportIds: string[] }).transportIds;
}

/** GET /api/media/capabilities, shaped as a browser device's RTP capabilities (codecs and header extensions). */
export async function deviceRtpCapabilities(server: TestServer): Promise<webrtc.RtpCapabilities> {
  const res = await fetch(`${server.url}/api/media/capabilities`);
  if (res.status !== 200) throw new Error(`capabilities: ${res.status}`);
  const caps = (await res.json()) as webrtc.RtpCapabilities;
  return { codecs: caps.codecs, headerExtensions: caps.headerExtensions };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A call under way: the organization's professional logged in, a visitor checked in and admitted, both
 * joined to the call's media (real mediasoup). For tests of what happens in a call.
 */
export async function callInProgress(server: TestServer, org: TestOrganization, visitorName = 'Ola Nordmann') {
  const caps = await deviceRtpCapabilities(server);
  const pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
  const visit = await joinWaitingRoom(server, org.room.slug, visitorName);
  const visitor = await visitorSocket(server, visit.visitorToken);
  const visitorHears = recordEvents(visitor);
  const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
  if (!admitted.ok) throw new Error(JSON.stringify(admitted));
  const { callId } = admitted;
  const visitorJoined = await ask(visitor, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
  const proJoined = await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
  if (!visitorJoined.ok || !proJoined.ok) throw new Error(`join failed: ${JSON.stringify([visitorJoined, proJoined])}`);
  return { callId, pro, visitor, visitorHears, visitorId: visit.visitorId, proJoined, visitorJoined };
}

/** A member of the organization, logged in as a completed login leaves them: their API calls, JSON both ways. */
export async function memberApi(server: TestServer, orgId: string, proId: string) {
  const { cookieValue, session } = await server.services.sessions.create(orgId, proId);
  const cookie = `${sessionCookieName(false)}=${cookieValue}`;
  return {
    cookie,
    async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { origin: server.origin, cookie, 'x-csrf-token': session.csrfToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

/** A consultation's token (`<org>.<consultation>.<secret>`) from its visitor link (`…/c/<org>.<consultation>#<secret>`). */
export function linkTokenOf(visitorLink: string): string {
  const url = new URL(visitorLink);
  return `${url.pathname.replace(/^\/c\//, '')}.${url.hash.slice(1)}`;
}

/** The page of a consultation's link, without its secret: `/c/<org>.<consultation>`. */
export const consultationPagePath = (token: string) => `/c/${token.slice(0, token.lastIndexOf('.'))}`;

/** What the visitor's page asks about its link (the secret in the body, never in the address). */
export const lookUpConsultationLink = (server: TestServer, token: unknown) => postJson(server, '/api/consultations/link', { token });
