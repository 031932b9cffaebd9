import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { hashSecret, newSecret } from '../ids.ts';

/** What a trip to the broker is for. */
export type BankIdPurpose = 'visitor' | 'member-link' | 'member-login';

/** A login under way: everything the callback needs, and nothing the broker or the browser could change. */
export interface LoginRecord {
  purpose: BankIdPurpose;
  orgId: string;
  /** The visitor being identified (purpose 'visitor'). */
  visitorId?: string;
  /** The member binding their BankID (purpose 'member-link'). */
  professionalId?: string;
  pkceVerifier: string;
  nonce: string;
  /** Where the browser goes afterwards (a path on our origin, checked at the start). */
  returnTo: string;
  /** Hash of the secret in the browser's flow cookie: only the browser that started may finish. */
  browserHash: string;
  /** The broker setup it was started with (see BankIdSettings.fingerprint). */
  settingsFingerprint: string;
}

export const LOGIN_TTL_MS = 10 * 60_000;

/**
 * Single-use records of logins under way, by the hash of their state (so Redis holds nothing a browser
 * could present). Taken with GETDEL: a replayed callback finds nothing.
 */
export class LoginRecords {
  constructor(private readonly redis: Redis) {}

  /** Stores the record; answers its state (256 random bits). `ttlMs` at most LOGIN_TTL_MS. */
  async create(record: LoginRecord, ttlMs = LOGIN_TTL_MS): Promise<string> {
    const state = newSecret();
    await this.redis.set(keys.bankIdLogin(hashSecret(state)), JSON.stringify(record), 'PX', Math.max(1, Math.min(ttlMs, LOGIN_TTL_MS)));
    return state;
  }

  async take(state: string): Promise<LoginRecord | null> {
    const json = await this.redis.getdel(keys.bankIdLogin(hashSecret(state)));
    return json ? (JSON.parse(json) as LoginRecord) : null;
  }
}
