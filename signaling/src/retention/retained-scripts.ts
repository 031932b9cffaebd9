import { defineScript, oneOf } from '../redis/lua-script.ts';
import { RETENTION_OR_NOT_FOUND } from '../redis/retention-lua.ts';

/*
 * Writes about visitors and calls that must not outlive the organization's retention period, nor bring
 * back a record that expired without its TTL: each sets the TTL in the same step as it writes.
 */

/** Adds to a capped list about a visitor or a call (newest first, `kept` of them), kept for the retention period. */
export const pushRetained = defineScript({
  name: 'pushRetained',
  keys: ['org', 'list'],
  args: ['value', 'kept'],
  lua: (k, a) => `
${RETENTION_OR_NOT_FOUND('retention', k.org)}
redis.call('LPUSH', ${k.list}, ${a.value})
redis.call('LTRIM', ${k.list}, 0, tonumber(${a.kept}) - 1)
redis.call('PEXPIRE', ${k.list}, retention)
return 'ok'
`,
  parse: oneOf('ok', 'not_found'),
});

/**
 * Notes a member of a sorted set about visitors (scored by time), kept for the organization's retention
 * period and `marginMs` more (so the purge job, which trims it by score, sees each member once its
 * retention has passed).
 */
export const noteRetained = defineScript({
  name: 'noteRetained',
  keys: ['org', 'index'],
  args: ['member', 'score', 'marginMs'],
  lua: (k, a) => `
${RETENTION_OR_NOT_FOUND('retention', k.org)}
redis.call('ZADD', ${k.index}, ${a.score}, ${a.member})
redis.call('PEXPIRE', ${k.index}, retention + tonumber(${a.marginMs}))
return 'ok'
`,
  parse: oneOf('ok', 'not_found'),
});

/** Sets a field of a hash only if the hash still exists (a write must not bring back an expired record without its TTL). */
export const setIfExists = defineScript({
  name: 'setIfExists',
  keys: ['hash'],
  args: ['field', 'value'],
  lua: (k, a) => `
if redis.call('EXISTS', ${k.hash}) == 0 then return 'not_found' end
redis.call('HSET', ${k.hash}, ${a.field}, ${a.value})
return 'ok'
`,
  parse: oneOf('ok', 'not_found'),
});

/**
 * Adds an id to a set that belongs to a record (an SMS sid to a visitor's or a consultation's), only while
 * the record exists (a record gone stays gone); the set expires when the record does.
 */
export const addToOwnedSet = defineScript({
  name: 'addToOwnedSet',
  keys: ['owner', 'set'],
  args: ['member'],
  lua: (k, a) => `
local ttl = redis.call('PTTL', ${k.owner})
if ttl == -2 then return 'not_found' end
redis.call('SADD', ${k.set}, ${a.member})
if ttl > 0 then redis.call('PEXPIRE', ${k.set}, ttl) end
return 'ok'
`,
  parse: oneOf('ok', 'not_found'),
});

/** Releases the purge job's lock only if this holder still has it (it may have expired and been taken by another). */
export const releaseLock = defineScript({
  name: 'releaseLock',
  keys: ['lock'],
  args: ['holder'],
  lua: (k, a) => `
if redis.call('GET', ${k.lock}) == ${a.holder} then redis.call('DEL', ${k.lock}) end
return 'ok'
`,
  parse: oneOf('ok'),
});

export const RETAINED_SCRIPTS = [pushRetained, noteRetained, setIfExists, addToOwnedSet, releaseLock];
