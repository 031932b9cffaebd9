import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { MemberBankIdState } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';

const PENDING_MS = 7 * 86_400_000;

/**
 * Which member a BankID identity logs in as. The identity (the broker's stable `sub` at that issuer) is
 * kept only as an HMAC with IDENTITY_HASH_KEY: a copy of Redis neither names the person nor lets anyone
 * check a guessed identity. A member binds theirs once (a login at the broker while logged in); it waits
 * for an admin's approval; from then on a BankID login with it is a login as that member.
 */
export class MemberBindings {
  constructor(
    private readonly redis: Redis,
    private readonly hashKey: string,
  ) {}

  identityHashOf(orgId: string, issuer: string, sub: string): string {
    return createHmac('sha256', this.hashKey).update(JSON.stringify([orgId, issuer, sub])).digest('base64url');
  }

  /** The member's identity, waiting for approval (replacing any earlier wait). */
  async setPending(orgId: string, proId: string, identityHash: string): Promise<void> {
    await this.redis.set(keys.bankIdPending(orgId, proId), identityHash, 'PX', PENDING_MS);
  }

  async stateOf(orgId: string, proId: string): Promise<MemberBankIdState> {
    const [bound, pending] = await Promise.all([this.redis.hget(keys.professional(orgId, proId), 'bankIdIdentity'), this.redis.exists(keys.bankIdPending(orgId, proId))]);
    return bound ? 'bound' : pending ? 'pending' : 'none';
  }

  /**
   * An admin approves the member's waiting identity: it becomes theirs (replacing an earlier one). False if
   * nothing waits, or the identity is another member's already.
   */
  async approve(orgId: string, proId: string): Promise<boolean> {
    const identityHash = await this.redis.get(keys.bankIdPending(orgId, proId));
    if (!identityHash) return false;
    const owner = await this.redis.get(keys.bankIdMember(orgId, identityHash));
    if (owner && owner !== proId && (await this.redis.hget(keys.professional(orgId, owner), 'bankIdIdentity')) === identityHash) return false;
    const earlier = await this.redis.hget(keys.professional(orgId, proId), 'bankIdIdentity');
    const tx = this.redis.multi();
    if (earlier && earlier !== identityHash) tx.del(keys.bankIdMember(orgId, earlier));
    await tx
      .set(keys.bankIdMember(orgId, identityHash), proId)
      .hset(keys.professional(orgId, proId), 'bankIdIdentity', identityHash)
      .del(keys.bankIdPending(orgId, proId))
      .exec();
    return true;
  }

  /** The member no longer logs in with BankID (and nothing of theirs waits). */
  async remove(orgId: string, proId: string): Promise<void> {
    const bound = await this.redis.hget(keys.professional(orgId, proId), 'bankIdIdentity');
    const tx = this.redis.multi().del(keys.bankIdPending(orgId, proId)).hdel(keys.professional(orgId, proId), 'bankIdIdentity');
    if (bound) tx.del(keys.bankIdMember(orgId, bound));
    await tx.exec();
  }

  /**
   * The member this identity logs in as, or null. Both directions must agree, so a binding left behind by a
   * removed member (whose record is gone) logs in as no one.
   */
  async memberOf(orgId: string, identityHash: string): Promise<string | null> {
    const proId = await this.redis.get(keys.bankIdMember(orgId, identityHash));
    if (!proId) return null;
    return (await this.redis.hget(keys.professional(orgId, proId), 'bankIdIdentity')) === identityHash ? proId : null;
  }
}
