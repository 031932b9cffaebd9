import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { hashSecret, newSecret } from '../ids.ts';

export interface Session {
  orgId: string;
  professionalId: string;
  /** Hash of the secret: names the Redis key and the Socket.IO room of this session's sockets. */
  sessionHash: string;
  csrfToken: string;
  createdAt: number;
  /**
   * A step of logging in still to take; until it is taken the session may do nothing else. The password
   * was right: next the second factor (set up at first login), then a new password if an admin reset it.
   */
  pending?: LoginStep;
}

export type LoginStep = 'second-factor' | 'second-factor-setup' | 'password-change';
const LOGIN_STEPS: readonly string[] = ['second-factor', 'second-factor-setup', 'password-change'];

/**
 * Professionals' login sessions. The cookie holds `<org>.<secret>`; Redis holds only the secret's hash.
 * The key's TTL is the idle timeout (renewed by activity); the absolute limit is checked on every read.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly idleMs: number,
    readonly maxAgeMs: number,
  ) {}

  /**
   * How often a busy dashboard need renew its session: often enough that the idle timeout holds to within
   * a quarter of it, and at most every 30 s (each renewal is a round trip to Redis).
   */
  get renewEveryMs(): number {
    return Math.min(30_000, this.idleMs / 4);
  }

  async create(orgId: string, professionalId: string, opts: { pending?: LoginStep } = {}, now = Date.now()): Promise<{ cookieValue: string; session: Session }> {
    const secret = newSecret();
    const session: Session = { orgId, professionalId, sessionHash: hashSecret(secret), csrfToken: newSecret(), createdAt: now };
    if (opts.pending) session.pending = opts.pending;
    const key = keys.session(orgId, session.sessionHash);
    const index = keys.professionalSessions(orgId, professionalId);
    await this.redis
      .multi()
      .hset(key, { professionalId, csrfToken: session.csrfToken, createdAt: now, ...(opts.pending ? { pending: opts.pending } : {}) })
      .pexpire(key, this.idleMs)
      // Every session of a member, so removing the member or resetting their password ends them all.
      .sadd(index, session.sessionHash)
      .pexpire(index, this.maxAgeMs)
      .exec();
    return { cookieValue: `${orgId}.${secret}`, session };
  }

  /** The live session for a cookie value, renewing its idle timeout; null if absent, expired or malformed. */
  async resolve(cookieValue: unknown, now = Date.now()): Promise<Session | null> {
    if (typeof cookieValue !== 'string') return null;
    const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(cookieValue);
    if (!m) return null;
    const orgId = m[1]!;
    const sessionHash = hashSecret(m[2]!);
    const key = keys.session(orgId, sessionHash);
    const h = await this.redis.hgetall(key);
    if (!h.professionalId) return null;
    const createdAt = Number(h.createdAt);
    if (now - createdAt >= this.maxAgeMs) {
      await this.redis.del(key);
      return null;
    }
    await this.redis.pexpire(key, Math.min(this.idleMs, this.maxAgeMs - (now - createdAt)));
    const session: Session = { orgId, professionalId: h.professionalId, sessionHash, csrfToken: h.csrfToken!, createdAt };
    if (h.pending && LOGIN_STEPS.includes(h.pending)) session.pending = h.pending as LoginStep;
    return session;
  }

  /** Renews the idle timeout (an ongoing call counts as activity). False if the session is gone. */
  async touch(session: Session, now = Date.now()): Promise<boolean> {
    const left = this.maxAgeMs - (now - session.createdAt);
    if (left <= 0) return false;
    return (await this.redis.pexpire(keys.session(session.orgId, session.sessionHash), Math.min(this.idleMs, left))) === 1;
  }

  /** Whether the session still exists, without renewing it (expiry by idle time or maximum age). */
  async isAlive(session: Session, now = Date.now()): Promise<boolean> {
    if (now - session.createdAt >= this.maxAgeMs) return false;
    return (await this.redis.exists(keys.session(session.orgId, session.sessionHash))) === 1;
  }

  async destroy(session: Session): Promise<void> {
    await this.redis
      .multi()
      .del(keys.session(session.orgId, session.sessionHash))
      .srem(keys.professionalSessions(session.orgId, session.professionalId), session.sessionHash)
      .exec();
  }

  /** A login step was taken: the next one, or none (the session may now do everything). */
  async advance(session: Session, next: LoginStep | undefined): Promise<Session> {
    const key = keys.session(session.orgId, session.sessionHash);
    if (next) await this.redis.hset(key, 'pending', next);
    else await this.redis.hdel(key, 'pending', 'setupSecret');
    const { pending: _, ...rest } = session;
    return next ? { ...rest, pending: next } : rest;
  }

  /**
   * The second-factor secret being set up in this session (shown to the member, not yet active), as
   * `make` sealed it: this store keeps it, it does not read it.
   */
  async setupSecret(session: Session, make: () => Promise<string>): Promise<string> {
    const key = keys.session(session.orgId, session.sessionHash);
    const existing = await this.redis.hget(key, 'setupSecret');
    if (existing) return existing;
    const secret = await make();
    await this.redis.hset(key, 'setupSecret', secret);
    return secret;
  }

  /**
   * Ends every session of a member but `keep` (they changed their own password: whoever else held a
   * session, perhaps with the old password, is out); returns the ended hashes to close their sockets.
   */
  async destroyOthersOf(keep: Session): Promise<string[]> {
    const index = keys.professionalSessions(keep.orgId, keep.professionalId);
    const others = (await this.redis.smembers(index)).filter((h) => h !== keep.sessionHash);
    if (!others.length) return [];
    const tx = this.redis.multi().srem(index, ...others);
    for (const h of others) tx.del(keys.session(keep.orgId, h));
    await tx.exec();
    return others;
  }

  /**
   * Ends every session of a member (removed, password reset, organization closed), their embedded sessions
   * (EmbeddedSessions) included; returns their hashes to close their sockets.
   */
  async destroyAllOf(orgId: string, professionalId: string): Promise<string[]> {
    const index = keys.professionalSessions(orgId, professionalId);
    const hashes = await this.redis.smembers(index);
    const tx = this.redis.multi().del(index);
    for (const h of hashes) tx.del(keys.session(orgId, h), keys.embedSession(orgId, h));
    await tx.exec();
    return hashes;
  }
}
