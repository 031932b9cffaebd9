import { keys } from '../redis/keys.ts';
import { runScript } from '../redis/scripts.ts';
import type { Services } from '../services.ts';
import { WaitingRoomStore, type Visitor } from './waiting-room-store.ts';
import { connectRedis } from '../redis/connection.ts';
import { logRedisConnection } from '../observability/redis-connection-log.ts';
import type { Redis } from 'ioredis';
import { announcePlaces } from './queue-place.ts';
import { settleEndedVisits } from '../payments/settle-visits.ts';

/** How often this process tells Redis that its waiting visitors are still connected. */
const HEARTBEAT_MS = 5_000;
/** How often this process looks for visitors whose grace period has passed. */
const SWEEP_MS = 1_000;

/**
 * Whether each waiting visitor is connected, and the grace period of those who are not. Kept in Redis (a
 * deadline per visitor, in a sorted set per organization) so it works across processes and restarts:
 * a connected visitor's deadline is pushed ahead by heartbeats; a disconnect sets it to the end of the
 * grace period; a process that dies stops its heartbeats, so its visitors' deadlines pass too and another
 * process (or the same one, restarted) lets them go unless they have come back meanwhile. Any process may
 * sweep: the drop is one script, and only the process whose script removed the deadline tells anyone.
 */
export class VisitorPresence {
  /** Sockets per waiting visitor on this process. */
  private readonly local = new Map<string, { visitor: Visitor; sockets: number }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly graceMs: number;
  private closed = false;
  /**
   * Heartbeats and sweeps run on a connection of their own: background work that neither waits behind
   * nor delays the requests of visitors and professionals.
   */
  private readonly background: Redis;
  private readonly backgroundVisitors: WaitingRoomStore;

  /** `now`: the clock deadlines are kept by (tests pass their own, and run heartbeats and sweeps themselves). */
  constructor(
    private readonly s: Services,
    private readonly now: () => number = Date.now,
  ) {
    this.graceMs = s.config.VISITOR_GRACE_SECONDS * 1000;
    this.background = connectRedis(s.config.REDIS_URL);
    logRedisConnection(this.background, 'presence', s.log);
    this.backgroundVisitors = new WaitingRoomStore(this.background, s.fieldCipher);
    this.timers.push(setInterval(() => void this.heartbeat().catch((err: Error) => s.log.warn({ err: err.message }, 'presence heartbeat failed')), HEARTBEAT_MS));
    this.timers.push(setInterval(() => void this.sweep().catch((err: Error) => s.log.warn({ err: err.message }, 'presence sweep failed')), SWEEP_MS));
  }

  /** A visitor's socket connected. If they were waiting, they are online (back, if they had dropped). */
  async connected(visitor: Visitor): Promise<void> {
    const key = `${visitor.orgId}:${visitor.id}`;
    const entry = this.local.get(key) ?? { visitor, sockets: 0 };
    entry.sockets++;
    this.local.set(key, entry);
    if (visitor.state !== 'waiting') return;
    if ((await this.mark(visitor, 'online', this.now() + this.graceMs + 2 * HEARTBEAT_MS)) && visitor.presence === 'lost' && !this.closed) {
      this.s.notify.visitorPresence(visitor.orgId, { visitorId: visitor.id, roomId: visitor.roomId, online: true });
    }
  }

  /** A visitor whose socket is here finished checking in and now waits: online from now on. */
  async entered(visitor: Visitor): Promise<void> {
    const entry = this.local.get(`${visitor.orgId}:${visitor.id}`);
    if (entry) entry.visitor = visitor;
    await this.mark(visitor, 'online', this.now() + this.graceMs + 2 * HEARTBEAT_MS);
  }

  /** A visitor's socket closed. With no other socket of theirs here, the grace period starts. */
  async disconnected(visitor: Visitor): Promise<void> {
    // Sockets closing because this process is shutting down: their visitors' deadlines run out on their own.
    if (this.closed) return;
    const key = `${visitor.orgId}:${visitor.id}`;
    const entry = this.local.get(key);
    if (entry && --entry.sockets > 0) return;
    this.local.delete(key);
    const current = await this.s.waitingRoom.getVisitor(visitor.orgId, visitor.id);
    if (current?.state !== 'waiting') return;
    if ((await this.mark(current, 'lost', this.now() + this.graceMs)) && !this.closed) {
      this.s.notify.visitorPresence(visitor.orgId, { visitorId: visitor.id, roomId: visitor.roomId, online: false });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.background.quit().catch(() => undefined);
  }

  private async mark(visitor: Visitor, presence: 'online' | 'lost', deadline: number): Promise<boolean> {
    if (this.closed) return false;
    // The organization is named for the sweep in the same round trip (harmless if no one turns out to be
    // watched: the sweep forgets an organization with nobody in its presence set).
    const [result] = await Promise.all([
      runScript(
        this.s.redis,
        'visitorPresence',
        [keys.organization(visitor.orgId), keys.visitor(visitor.orgId, visitor.id), keys.presence(visitor.orgId)],
        [visitor.id, presence, deadline],
      ),
      this.s.redis.sadd(keys.presenceOrganizations(), visitor.orgId),
    ]);
    return result === 'ok';
  }

  /** Pushes the deadlines of this process's connected waiting visitors ahead. */
  async heartbeat(): Promise<void> {
    if (this.local.size === 0) return;
    const deadline = this.now() + this.graceMs + 2 * HEARTBEAT_MS;
    const pipeline = this.background.pipeline();
    const orgs = new Set<string>();
    for (const { visitor } of this.local.values()) {
      // XX: only visitors still watched (admitted or gone ones were removed from the set).
      pipeline.zadd(keys.presence(visitor.orgId), 'XX', deadline, visitor.id);
      orgs.add(visitor.orgId);
    }
    pipeline.sadd(keys.presenceOrganizations(), ...orgs);
    await pipeline.exec();
  }

  /** Lets go of visitors whose grace period passed with no connection back. */
  async sweep(): Promise<void> {
    const now = this.now();
    for (const orgId of await this.background.smembers(keys.presenceOrganizations())) {
      const due = await this.background.zrangebyscore(keys.presence(orgId), '-inf', now, 'LIMIT', 0, 100);
      for (const visitorId of due) {
        const visitor = await this.backgroundVisitors.getVisitor(orgId, visitorId);
        const result = await runScript(
          this.background,
          'dropVisitor',
          [keys.visitor(orgId, visitorId), keys.waiting(orgId, visitor?.roomId ?? 'none'), keys.presence(orgId)],
          [visitorId, now],
        );
        if (result !== 'ok' || !visitor || this.closed) continue;
        this.s.log.info({ orgId, visitorId }, 'visitor lost their place: no connection within the grace period');
        this.s.notify.visitorRemoved(orgId, { visitorId, roomId: visitor.roomId, reason: 'connection_lost' });
        void this.s.events.emit(orgId, 'visitor.left', { visitorId, roomId: visitor.roomId, reason: 'connection_lost' });
        settleEndedVisits(this.s, orgId, [visitorId]);
        void announcePlaces(this.s, orgId, visitor.roomId).catch(() => undefined);
      }
      if (due.length === 0 && (await this.background.zcard(keys.presence(orgId))) === 0) await this.background.srem(keys.presenceOrganizations(), orgId);
    }
  }
}
