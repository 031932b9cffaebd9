import type { Redis } from 'ioredis';
import { PAYMENT_SCRIPTS } from '../payments/payment-scripts.ts';
import { RETENTION_MS_OF } from './retention-lua.ts';
import { AUDIT_SCRIPTS } from '../audit/audit-scripts.ts';
import { EVENTS_SCRIPTS } from '../events/events-scripts.ts';
import { WEBHOOK_SCRIPTS } from '../webhooks/webhook-scripts.ts';
import { CONSULTATION_SCRIPTS } from '../consultations/consultation-scripts.ts';
import { KEY_ROTATION_SCRIPTS } from '../crypto/key-rotation.ts';
import { EMAIL_SCRIPTS } from '../email/email-scripts.ts';

/*
 * The state changes that touch several keys run as Lua scripts, so they are atomic: two professionals
 * admitting one visitor cannot both win, and a crash between two writes cannot leave half a call.
 * Every script reads the organization's retention itself and sets the TTL of every visitor/call key it
 * writes, and trims the indexes it writes by time.
 */

const RETENTION = `
local retention = ${RETENTION_MS_OF('KEYS[1]')}
if retention <= 0 then return 'not_found' end
`;

const TRIM = (key: string) => `
redis.call('ZREMRANGEBYSCORE', ${key}, '-inf', '(' .. (now - retention))
redis.call('PEXPIRE', ${key}, retention)
`;

/**
 * Adds to a capped list about a visitor or a call (newest first), kept for the organization's retention
 * period. KEYS: org, list. ARGV: value, how many to keep.
 */
const pushRetained = `
${RETENTION}
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[2], retention)
return 'ok'
`;

/**
 * Notes a member of a sorted set about visitors (scored by time), kept for the organization's retention
 * period and `ARGV[3]` ms more (so the purge job, which trims it by score, sees each member once its
 * retention has passed). KEYS: org, sorted set. ARGV: member, score, margin (ms).
 */
const noteRetained = `
${RETENTION}
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], retention + tonumber(ARGV[3]))
return 'ok'
`;

/** Sets a field of a hash only if the hash still exists (a write must not bring back an expired record without its TTL). KEYS: hash. ARGV: field, value. */
const setIfExists = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 'ok'
`;

/** One attempt against a fixed-window limit: answers the count so far. KEYS: counter. ARGV: window (ms). */
/** Releases a lock only if this holder still has it (it may have expired and been taken by another). KEYS: lock. ARGV: holder. */
const releaseLock = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 'ok'
`;

/** Appends to a comma-separated field of a hash that exists (a record gone stays gone). KEYS: hash. ARGV: field, value. */
const appendToField = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
redis.call('HSET', KEYS[1], ARGV[1], (redis.call('HGET', KEYS[1], ARGV[1]) or '') .. ARGV[2] .. ',')
return 'ok'
`;

const countAttempt = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;

/**
 * A visitor's identity verified with BankID, kept only while they are still checking in (a visitor who
 * left or expired meanwhile gets nothing). The hash keeps its TTL. KEYS: visitor. ARGV: the identity
 * (JSON), the national id as field-cipher ciphertext or '' (then any earlier one goes).
 */
const storeVerifiedIdentity = `
if redis.call('HGET', KEYS[1], 'state') ~= 'checking_in' then return 'not_found' end
redis.call('HSET', KEYS[1], 'bankId', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'nationalId', ARGV[2]) else redis.call('HDEL', KEYS[1], 'nationalId') end
return 'ok'
`;

const SCRIPTS = {
  storeVerifiedIdentity: { keys: 1, lua: storeVerifiedIdentity },
  countAttempt: { keys: 1, lua: countAttempt },
  appendToField: { keys: 1, lua: appendToField },
  releaseLock: { keys: 1, lua: releaseLock },
  setIfExists: { keys: 1, lua: setIfExists },
  pushRetained: { keys: 2, lua: pushRetained },
  noteRetained: { keys: 2, lua: noteRetained },
  ...PAYMENT_SCRIPTS,
  ...AUDIT_SCRIPTS,
  ...EVENTS_SCRIPTS,
  ...WEBHOOK_SCRIPTS,
  ...CONSULTATION_SCRIPTS,
  ...KEY_ROTATION_SCRIPTS,
  ...EMAIL_SCRIPTS,
} as const satisfies Record<string, { keys: number | 'variable'; lua: string }>;

export type ScriptName = keyof typeof SCRIPTS;
/** Each script answers 'ok' or an error code from the protocol. */
export type ScriptResult = 'ok' | 'access_code_invalid' | 'check_in_incomplete' | 'not_found' | 'not_waiting' | 'already_admitted' | 'call_ended' | 'call_full';

export function defineScripts(redis: Redis): void {
  for (const [name, { keys, lua }] of Object.entries(SCRIPTS)) {
    // A script with a variable number of keys is given the count first at each call.
    redis.defineCommand(name, keys === 'variable' ? { lua } : { numberOfKeys: keys, lua });
  }
}

export async function runScript(
  redis: Redis,
  name: ScriptName,
  keys: string[],
  args: (string | number)[],
): Promise<ScriptResult> {
  const expected: number | 'variable' = SCRIPTS[name].keys;
  const command = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<ScriptResult>>)[name]!;
  if (expected === 'variable') return command.call(redis, keys.length, ...keys, ...args);
  if (keys.length !== expected) throw new Error(`${name} takes ${expected} keys`);
  return command.call(redis, ...keys, ...args);
}
