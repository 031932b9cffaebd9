import type { Redis } from 'ioredis';
import { RETENTION_MS_OF } from './retention-lua.ts';
import { CONSULTATION_SCRIPTS } from '../consultations/consultation-scripts.ts';

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

const SCRIPTS = {
  ...CONSULTATION_SCRIPTS,
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
