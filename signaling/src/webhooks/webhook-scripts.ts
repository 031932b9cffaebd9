import { defineScript, integer, oneOf } from '../redis/lua-script.ts';
import { RETENTION_MS_OF } from '../redis/retention-lua.ts';

/*
 * Webhook state moves, run by WebhookStore and WebhookOutbox. The outbox scripts touch only the
 * `{webhooks}` keys and the delivery scripts only one organization's keys, so each is legal on Redis Cluster.
 */

/**
 * A delivery of an event to an endpoint: `body` its ciphertext, `keepMs` how long deliveries are kept,
 * `visitorId` the visitor the event is about ('' if none: an opaque id, so an erasure finds their
 * deliveries). Kept that long or the organization's retention, whichever is shorter. A delivery made
 * already (the same event handed on twice after a crash) stays as it is. Answers 'ok', or 'not_found' for
 * an organization that is gone.
 */
export const createWebhookDelivery = defineScript({
  name: 'createWebhookDelivery',
  keys: ['org', 'delivery', 'deliveries'],
  args: ['deliveryId', 'endpointId', 'eventId', 'type', 'now', 'body', 'keepMs', 'visitorId'],
  lua: (k, a) => `
local retention = ${RETENTION_MS_OF(k.org)}
if retention <= 0 then return 'not_found' end
if redis.call('EXISTS', ${k.delivery}) == 1 then return 'ok' end
local keep = math.min(retention, tonumber(${a.keepMs}))
local now = tonumber(${a.now})
redis.call('HSET', ${k.delivery}, 'endpointId', ${a.endpointId}, 'eventId', ${a.eventId}, 'type', ${a.type}, 'createdAt', ${a.now},
  'since', ${a.now}, 'status', 'pending', 'attempts', 0, 'body', ${a.body})
if ${a.visitorId} ~= '' then redis.call('HSET', ${k.delivery}, 'visitorId', ${a.visitorId}) end
redis.call('PEXPIRE', ${k.delivery}, keep)
redis.call('ZADD', ${k.deliveries}, now, ${a.deliveryId})
redis.call('ZREMRANGEBYSCORE', ${k.deliveries}, '-inf', '(' .. (now - keep))
redis.call('PEXPIRE', ${k.deliveries}, keep)
return 'ok'
`,
  parse: oneOf('ok', 'not_found'),
});

/**
 * An attempt (JSON) and the status after it (pending|delivered|failed); `nextAttemptAt` '' if none,
 * `since` when this run of tries began ('' to keep it: a resend starts a new one). The attempts list
 * expires with the delivery. Answers 'not_found' if the delivery is gone.
 */
export const recordWebhookAttempt = defineScript({
  name: 'recordWebhookAttempt',
  keys: ['delivery', 'attempts'],
  args: ['attempt', 'status', 'now', 'nextAttemptAt', 'since'],
  lua: (k, a) => `
local ttl = redis.call('PTTL', ${k.delivery})
if ttl < 0 then return 'not_found' end
redis.call('HINCRBY', ${k.delivery}, 'attempts', 1)
redis.call('HSET', ${k.delivery}, 'lastAttempt', ${a.attempt}, 'status', ${a.status})
if ${a.since} ~= '' then redis.call('HSET', ${k.delivery}, 'since', ${a.since}) end
if ${a.status} == 'delivered' then redis.call('HSET', ${k.delivery}, 'deliveredAt', ${a.now}) end
if ${a.nextAttemptAt} ~= '' then redis.call('HSET', ${k.delivery}, 'nextAttemptAt', ${a.nextAttemptAt}) else redis.call('HDEL', ${k.delivery}, 'nextAttemptAt') end
redis.call('LPUSH', ${k.attempts}, ${a.attempt})
redis.call('LTRIM', ${k.attempts}, 0, 49)
redis.call('PEXPIRE', ${k.attempts}, ttl)
return 'ok'
`,
  parse: oneOf('ok', 'not_found'),
});

/**
 * The outbox's `entry` (read by `group`) is replaced by one entry per delivery (`deliveries`: organization
 * id and delivery id pairs), at once: a crash leaves either the event (handed on again) or its
 * deliveries, never neither.
 */
export const handOnWebhookEvent = defineScript({
  name: 'handOnWebhookEvent',
  keys: ['outbox'],
  args: ['group', 'entry', '...deliveries'],
  lua: (k, a) => `
for i = ${a.deliveries}, #ARGV, 2 do
  redis.call('XADD', ${k.outbox}, '*', 'kind', 'delivery', 'org', ARGV[i], 'delivery', ARGV[i + 1])
end
redis.call('XACK', ${k.outbox}, ${a.group}, ${a.entry})
redis.call('XDEL', ${k.outbox}, ${a.entry})
return 'ok'
`,
  parse: oneOf('ok'),
});

/** The entry leaves the outbox; its delivery (`<org>:<delivery>`) waits in the retries until `at` (ms). */
export const retryWebhookLater = defineScript({
  name: 'retryWebhookLater',
  keys: ['outbox', 'retries'],
  args: ['group', 'entry', 'delivery', 'at'],
  lua: (k, a) => `
redis.call('ZADD', ${k.retries}, ${a.at}, ${a.delivery})
redis.call('XACK', ${k.outbox}, ${a.group}, ${a.entry})
redis.call('XDEL', ${k.outbox}, ${a.entry})
return 'ok'
`,
  parse: oneOf('ok'),
});

/** Done with an entry: acknowledged and gone from the stream. */
export const finishWebhookEntry = defineScript({
  name: 'finishWebhookEntry',
  keys: ['outbox'],
  args: ['group', 'entry'],
  lua: (k, a) => `
redis.call('XACK', ${k.outbox}, ${a.group}, ${a.entry})
redis.call('XDEL', ${k.outbox}, ${a.entry})
return 'ok'
`,
  parse: oneOf('ok'),
});

/** The deliveries due at `now` (at most `limit`) go back into the outbox; answers how many. */
export const releaseDueWebhooks = defineScript({
  name: 'releaseDueWebhooks',
  keys: ['outbox', 'retries'],
  args: ['now', 'limit'],
  lua: (k, a) => `
local due = redis.call('ZRANGEBYSCORE', ${k.retries}, '-inf', ${a.now}, 'LIMIT', 0, tonumber(${a.limit}))
for _, member in ipairs(due) do
  local sep = string.find(member, ':', 1, true)
  redis.call('XADD', ${k.outbox}, '*', 'kind', 'delivery', 'org', string.sub(member, 1, sep - 1), 'delivery', string.sub(member, sep + 1))
  redis.call('ZREM', ${k.retries}, member)
end
return #due
`,
  parse: integer,
});

/**
 * The consumers a process left in the group when it died (each process reads under a name of its own):
 * those with nothing pending and idle longer than `idleMs` are removed, never the caller's own (`own`).
 * One step, so a consumer is removed only as it was when checked (DELCONSUMER would drop its pending
 * entries). Answers how many went.
 */
export const removeIdleWebhookConsumers = defineScript({
  name: 'removeIdleWebhookConsumers',
  keys: ['outbox'],
  args: ['group', 'idleMs', 'own'],
  lua: (k, a) => `
local removed = 0
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', ${k.outbox}, ${a.group})) do
  local f = {}
  for i = 1, #consumer, 2 do f[consumer[i]] = consumer[i + 1] end
  if f.name ~= ${a.own} and tonumber(f.pending) == 0 and tonumber(f.idle) > tonumber(${a.idleMs}) then
    redis.call('XGROUP', 'DELCONSUMER', ${k.outbox}, ${a.group}, f.name)
    removed = removed + 1
  end
end
return removed
`,
  parse: integer,
});

export const WEBHOOK_SCRIPTS = [createWebhookDelivery, recordWebhookAttempt, handOnWebhookEvent, retryWebhookLater, finishWebhookEntry, releaseDueWebhooks, removeIdleWebhookConsumers];
