import type { Redis } from 'ioredis';
import { hashSecret, newSecret } from '../ids.ts';
import { keys } from '../redis/keys.ts';

/** A professional's session inside an EHR's iframe: one member, one consultation, nothing else. */
export interface EmbeddedSession {
  orgId: string;
  professionalId: string;
  consultationId: string;
  /** Hash of the secret: names the Redis key and the Socket.IO room of this session's sockets. */
  sessionHash: string;
  createdAt: number;
}

/**
 * Sessions of the embedded professional view. Inside a cross-site iframe the browser may block our
 * cookies (third-party cookies), so the page keeps a bearer token `<org>.<secret>` in memory (never in
 * storage: a reload needs a new link from the EHR) and sends it in the Socket.IO `auth` payload. Redis
 * keeps the secret's hash only. Its keys are a kind of their own: no cookie-based guard can ever accept
 * one, and what it may do is decided in one place (embedded-professional-socket.ts). Idle timeout and
 * maximum age as for login sessions; it ends at once with its consultation, and with its member's login
 * sessions (member removed, password reset, organization closed).
 */
export class EmbeddedSessions {
  constructor(
    private readonly redis: Redis,
    private readonly idleMs: number,
    private readonly maxAgeMs: number,
  ) {}

  async create(orgId: string, professionalId: string, consultationId: string, now = Date.now()): Promise<{ token: string; session: EmbeddedSession }> {
    const secret = newSecret();
    const sessionHash = hashSecret(secret);
    const member = keys.professionalSessions(orgId, professionalId);
    const consultation = keys.consultationEmbedSessions(orgId, consultationId);
    await this.redis
      .multi()
      .set(keys.embedSession(orgId, sessionHash), JSON.stringify({ professionalId, consultationId, createdAt: now }), 'PX', this.idleMs)
      // With the member's login sessions: removing the member, resetting their password or closing the
      // organization ends this one too (SessionStore.destroyAllOf).
      .sadd(member, sessionHash)
      .pexpire(member, this.maxAgeMs)
      // And with the consultation: it ends when the consultation does (endConsultation).
      .sadd(consultation, sessionHash)
      .pexpire(consultation, this.maxAgeMs)
      .exec();
    return { token: `${orgId}.${secret}`, session: { orgId, professionalId, consultationId, sessionHash, createdAt: now } };
  }

  /** Ends one session (its login could not be audited). */
  async destroy(session: EmbeddedSession): Promise<void> {
    await this.redis
      .multi()
      .del(keys.embedSession(session.orgId, session.sessionHash))
      .srem(keys.professionalSessions(session.orgId, session.professionalId), session.sessionHash)
      .srem(keys.consultationEmbedSessions(session.orgId, session.consultationId), session.sessionHash)
      .exec();
  }

  /** The consultation ended (its call ended, or it was cancelled): so do its sessions. Returns their hashes to close their sockets. */
  async endConsultation(orgId: string, consultationId: string): Promise<string[]> {
    const index = keys.consultationEmbedSessions(orgId, consultationId);
    const hashes = await this.redis.smembers(index);
    const tx = this.redis.multi().del(index);
    for (const h of hashes) tx.del(keys.embedSession(orgId, h));
    await tx.exec();
    return hashes;
  }

  /** Whether the session still exists, without renewing it. */
  async isAlive(session: EmbeddedSession, now = Date.now()): Promise<boolean> {
    if (now - session.createdAt >= this.maxAgeMs) return false;
    return (await this.redis.exists(keys.embedSession(session.orgId, session.sessionHash))) === 1;
  }

  /** The live session for a token, renewing its idle timeout; null if malformed, unknown or expired. */
  async resolve(token: unknown, now = Date.now()): Promise<EmbeddedSession | null> {
    if (typeof token !== 'string') return null;
    const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return null;
    const orgId = m[1]!;
    const sessionHash = hashSecret(m[2]!);
    const key = keys.embedSession(orgId, sessionHash);
    const stored = await this.redis.get(key);
    if (!stored) return null;
    const s = JSON.parse(stored) as { professionalId: string; consultationId: string; createdAt: number };
    if (now - s.createdAt >= this.maxAgeMs) {
      await this.redis.del(key);
      return null;
    }
    await this.redis.pexpire(key, Math.min(this.idleMs, this.maxAgeMs - (now - s.createdAt)));
    return { orgId, sessionHash, ...s };
  }

  /** Renews the idle timeout (activity on the socket); false once the session is gone. */
  async touch(session: EmbeddedSession, now = Date.now()): Promise<boolean> {
    const left = this.maxAgeMs - (now - session.createdAt);
    if (left <= 0) return false;
    return (await this.redis.pexpire(keys.embedSession(session.orgId, session.sessionHash), Math.min(this.idleMs, left))) === 1;
  }
}
