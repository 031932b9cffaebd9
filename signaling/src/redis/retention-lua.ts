/**
 * The organization's retention in ms, read in a Lua script from its hash at `orgKey`, as a Lua expression
 * (0 for no organization). `retentionMs` is the truth; hashes written before it existed have days only.
 */
export const RETENTION_MS_OF = (orgKey: string) =>
  `(tonumber(redis.call('HGET', ${orgKey}, 'retentionMs')) or ((tonumber(redis.call('HGET', ${orgKey}, 'retentionDays')) or 0) * 86400000))`;
