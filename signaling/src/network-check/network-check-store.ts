import type { Redis } from 'ioredis';
import type { NetworkCheckResult } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';

/** How long a network check's result waits for a check-in to take it along. */
export const NETWORK_CHECK_KEPT_MS = 60 * 60 * 1000;

/**
 * A finished network check's figures, by its id (128 random bits), until a check-in takes them along.
 * Nothing in it says whose connection it was.
 */
export class NetworkCheckStore {
  constructor(private readonly redis: Redis) {}

  async save(checkId: string, result: NetworkCheckResult): Promise<void> {
    await this.redis.set(keys.networkCheck(checkId), JSON.stringify(result), 'PX', NETWORK_CHECK_KEPT_MS);
  }

  async get(checkId: string): Promise<NetworkCheckResult | null> {
    const json = await this.redis.get(keys.networkCheck(checkId));
    return json ? (JSON.parse(json) as NetworkCheckResult) : null;
  }
}
