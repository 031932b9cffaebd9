import { keys } from '../redis/keys.ts';
import { dropVisitor, visitorPresence } from './waiting-room-scripts.ts';
import type { Services } from '../services.ts';
import { WaitingRoomStore, type Visitor } from './waiting-room-store.ts';
import { connectRedis } from '../redis/connection.ts';
import { logRedisConnection } from '../observability/redis-connection-log.ts';
import type { Redis } from 'ioredis';

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

  /**
   * A visitor's socket is connecting with this token: if it is the token of a waiting visitor, they are
   * online from now. Sent beside the token's own check, in its round trip: the script compares the token's
   * hash itself, so nobody is marked but the visitor whose token it is. Answers whether they were marked.
   */
  async connecting(token: unknown): Promise<boolean> {
    const claim = WaitingRoomStore.claimOf(token);
    if (!claim) return false;
    return this.markWith(claim.orgId, claim.visitorId, 'online', this.now() + this.graceMs + 2 * HEARTBEAT_MS, claim.tokenHash);
  }

  /**
   * A visitor's socket connected. If they were waiting, they are online (back, if they had dropped).
   * `marked`: what `connecting` answered for this socket, if it was asked (the mark is not made twice).
   */
  async connected(visitor: Visitor, marked?: boolean): Promise<void> {
    const key = `${visitor.orgId}:${visitor.id}`;
    const entry = this.local.get(key) ?? { visitor, sockets: 0 };
    entry.sockets++;
    this.local.set(key, entry);
    if (visitor.state !== 'waiting') return;
    const online = marked ?? (await this.mark(visitor, 'online', this.now() + this.graceMs + 2 * HEARTBEAT_MS));
    if (online && visitor.presence === 'lost' && !this.closed) {
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

  private mark(visitor: Visitor, presence: 'online' | 'lost', deadline: number): Promise<boolean> {
    return this.markWith(visitor.orgId, visitor.id, presence, deadline);
  }

  /** `tokenHash`: only the visitor with this token is marked (a connecting socket's, not checked yet). */
  private async markWith(orgId: string, visitorId: string, presence: 'online' | 'lost', deadline: number, tokenHash = ''): Promise<boolean> {
    if (this.closed) return false;
    const marking = visitorPresence.run(this.s.redis, {
      keys: { org: keys.organization(orgId), visitor: keys.visitor(orgId, visitorId), presence: keys.presence(orgId) },
      args: { visitorId, presence, deadline, tokenHash },
    });
    if (tokenHash) {
      // A token not checked yet names its organization for the sweep only once the script took it (so a
      // stranger's made-up tokens add nothing), on the background connection like the heartbeats'.
      const marked = (await marking) === 'ok';
      if (marked) void this.background.sadd(keys.presenceOrganizations(), orgId).catch((err: Error) => this.s.log.warn({ err: err.message }, 'could not note presence'));
      return marked;
    }
    // The organization is named for the sweep in the same round trip (harmless if no one turns out to be
    // watched: the sweep forgets an organization with nobody in its presence set).
    const [result] = await Promise.all([marking, this.s.redis.sadd(keys.presenceOrganizations(), orgId)]);
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
        const result = await dropVisitor.run(this.background, {
          keys: { visitor: keys.visitor(orgId, visitorId), waiting: keys.waiting(orgId, visitor?.roomId ?? 'none'), presence: keys.presence(orgId) },
          args: { visitorId, now },
        });
        if (result !== 'ok' || !visitor || this.closed) continue;
        this.s.log.info({ orgId, visitorId }, 'visitor lost their place: no connection within the grace period');
        void this.s.domainEvents.publish('visitor.left', { orgId, visitorId, roomId: visitor.roomId, reason: 'connection_lost', consultationId: visitor.consultationId ?? null });
      }
      if (due.length === 0 && (await this.background.zcard(keys.presence(orgId))) === 0) await this.background.srem(keys.presenceOrganizations(), orgId);
    }
  }
}
