import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { defineScript, integer } from '../redis/lua-script.ts';

/*
 * Ids that only grow (a visitor's calls and SMS, a consultation's visitors and SMS) were once kept as
 * comma-joined fields of their record; they are sets beside it now. Records live up to the retention
 * period (and backups 14 days more), so records written before are moved over once, at start and after a
 * restore, rather than read both ways everywhere: from then on every reader and script knows one form.
 * Moving is idempotent and per record atomic, so processes starting at once do no harm.
 */

/**
 * Moves the comma-joined `field` of `record` into `set` (ordered: a sorted set in the order the ids were
 * noted, before any added since, which are scored by time) and drops the field; the set expires with the
 * record. Answers how many ids were moved.
 */
export const foldCommaList = defineScript({
  name: 'foldCommaList',
  keys: ['record', 'set'],
  args: ['field', 'ordered'],
  lua: (k, a) => `
local list = redis.call('HGET', ${k.record}, ${a.field})
if not list then return 0 end
local moved = 0
for id in string.gmatch(list, '([^,]+)') do
  moved = moved + 1
  if ${a.ordered} == '1' then
    if not redis.call('ZSCORE', ${k.set}, id) then redis.call('ZADD', ${k.set}, moved, id) end
  else
    redis.call('SADD', ${k.set}, id)
  end
end
redis.call('HDEL', ${k.record}, ${a.field})
local ttl = redis.call('PTTL', ${k.record})
if moved > 0 and ttl > 0 then redis.call('PEXPIRE', ${k.set}, ttl) end
return moved
`,
  parse: integer,
});

const FOLDS = [
  { kind: 'visitor', field: 'callIds', set: keys.visitorCalls, ordered: false },
  { kind: 'visitor', field: 'smsIds', set: keys.visitorSms, ordered: false },
  { kind: 'consultation', field: 'visitorIds', set: keys.consultationVisitors, ordered: true },
  { kind: 'consultation', field: 'smsIds', set: keys.consultationSms, ordered: false },
] as const;

/** Moves every record's comma-joined ids into their sets; answers how many ids moved. One SCAN of the data set. */
export async function foldCommaLists(redis: Redis): Promise<number> {
  let moved = 0;
  for (const kind of ['visitor', 'consultation'] as const) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `{org:*}:${kind}:*`, 'COUNT', 1000);
      cursor = next;
      const folds = found.flatMap((record) => {
        const m = /^\{org:([0-9a-f]+)\}:[a-z]+:([0-9a-f]+)$/.exec(record);
        if (!m) return [];
        return FOLDS.filter((f) => f.kind === kind).map((f) =>
          foldCommaList.run(redis, { keys: { record, set: f.set(m[1]!, m[2]!) }, args: { field: f.field, ordered: f.ordered ? '1' : '' } }),
        );
      });
      for (const n of await Promise.all(folds)) moved += n;
    } while (cursor !== '0');
  }
  return moved;
}
