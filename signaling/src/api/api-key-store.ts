import type { Redis } from 'ioredis';
import type { ApiKeyCreated, ApiKeyInfo } from '../../protocol/index.ts';
import { hashSecret, newId, newSecret, sameHash, tokenParts } from '../ids.ts';
import { keys } from '../redis/keys.ts';
import { setIfExists } from '../retention/retained-scripts.ts';

/** Last-used times are written at most this often per key, so a busy integration does not write on every call. */
export const LAST_USED_RESOLUTION_MS = 60_000;

const KEY_PREFIX = 'consult_';

/** The organization and key an API call is made with. */
export interface ApiCaller {
  orgId: string;
  keyId: string;
}

/**
 * An organization's API keys, for EHR systems. A key is `consult_<org>.<key id>.<secret>`: the ids lead to
 * one Redis hash (O(1), no index of all keys), the 256-bit secret is checked against its SHA-256 (a fast
 * hash is enough for a secret that random: nothing to guess). Revoking deletes the hash, so the very next
 * call fails. The `consult_` prefix lets secret scanners recognize a leaked key.
 */
export class ApiKeyStore {
  constructor(private readonly redis: Redis) {}

  async create(orgId: string, name: string, createdBy: string, now = Date.now()): Promise<ApiKeyCreated> {
    const id = newId();
    const secret = newSecret();
    await this.redis
      .multi()
      .hset(keys.apiKey(orgId, id), { id, name, secretHash: hashSecret(secret), createdAt: now, createdBy })
      .sadd(keys.apiKeys(orgId), id)
      .exec();
    return { id, name, createdAt: now, lastUsedAt: null, key: `${KEY_PREFIX}${orgId}.${id}.${secret}` };
  }

  async list(orgId: string): Promise<ApiKeyInfo[]> {
    const ids = await this.redis.smembers(keys.apiKeys(orgId));
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.apiKey(orgId, id));
    const found = ((await pipeline.exec()) ?? []).map(([, h]) => h as Record<string, string>);
    return found
      .filter((h) => h.id)
      .map((h) => ({ id: h.id!, name: h.name ?? '', createdAt: Number(h.createdAt), lastUsedAt: h.lastUsedAt ? Number(h.lastUsedAt) : null }))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** False for an unknown key (or one of another organization). */
  async revoke(orgId: string, keyId: string): Promise<boolean> {
    const [[, deleted]] = (await this.redis.multi().del(keys.apiKey(orgId, keyId)).srem(keys.apiKeys(orgId), keyId).exec()) as [[unknown, number], unknown];
    return deleted === 1;
  }

  /** Every key of an organization goes (it was closed). */
  async revokeAll(orgId: string): Promise<number> {
    const ids = await this.redis.smembers(keys.apiKeys(orgId));
    await this.redis.del(keys.apiKeys(orgId), ...ids.map((id) => keys.apiKey(orgId, id)));
    return ids.length;
  }

  /**
   * Who a bearer token is, or null for anything missing, malformed, unknown, revoked or not matching (the
   * caller answers all of these alike). Notes the time of use, at most once a minute per key.
   */
  async authenticate(token: string | undefined, now = Date.now()): Promise<ApiCaller | null> {
    const parts = token ? tokenParts(token, KEY_PREFIX) : null;
    if (!parts) return null;
    const { orgId, id: keyId, secret } = parts;
    const [secretHash, lastUsedAt] = await this.redis.hmget(keys.apiKey(orgId, keyId), 'secretHash', 'lastUsedAt');
    if (!secretHash || !sameHash(secretHash, hashSecret(secret))) return null;
    if (now - Number(lastUsedAt ?? 0) >= LAST_USED_RESOLUTION_MS) {
      // Only on a key that still exists: a revocation meanwhile must not bring back half a key.
      await setIfExists.run(this.redis, { keys: { hash: keys.apiKey(orgId, keyId) }, args: { field: 'lastUsedAt', value: now } });
    }
    return { orgId, keyId };
  }
}
