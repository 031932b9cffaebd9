/*
 * The retention fragments every feature's scripts share. Each takes what it reads and writes as parameters
 * (Lua expressions), so a fragment never leans on a variable its caller happened to declare.
 */

/**
 * The organization's retention in ms, read in a Lua script from its hash at `orgKey`, as a Lua expression
 * (0 for no organization). `retentionMs` is the truth; hashes written before it existed have days only.
 */
export const RETENTION_MS_OF = (orgKey: string) =>
  `(tonumber(redis.call('HGET', ${orgKey}, 'retentionMs')) or ((tonumber(redis.call('HGET', ${orgKey}, 'retentionDays')) or 0) * 86400000))`;

/** Declares the local `name` as the organization's retention; a script on an organization that is gone answers 'not_found'. */
export const RETENTION_OR_NOT_FOUND = (name: string, orgKey: string) => `
local ${name} = ${RETENTION_MS_OF(orgKey)}
if ${name} <= 0 then return 'not_found' end
`;

/** An index scored by time keeps what is younger than `retention` at `now`, and lives as long. */
export const TRIM = (key: string, now: string, retention: string) => `
redis.call('ZREMRANGEBYSCORE', ${key}, '-inf', '(' .. (${now} - ${retention}))
redis.call('PEXPIRE', ${key}, ${retention})
`;
