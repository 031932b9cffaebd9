import { RETENTION_MS_OF } from '../redis/retention-lua.ts';

/*
 * Webhook state moves (registered with the other scripts in scripts.ts). The outbox scripts touch only the
 * `{webhooks}` keys and the delivery scripts only one organization's keys, so each is legal on Redis Cluster.
 */

/**
 * KEYS: org, delivery, the organization's deliveries. ARGV: delivery id, endpoint id, event id, event type,
 * now, body (ciphertext), how long deliveries are kept (ms), the visitor the event is about ('' if none:
 * an opaque id, so an erasure finds their deliveries). Kept that long or the organization's retention,
 * whichever is shorter. A delivery made already (the same event handed on twice after a crash) stays as it
 * is. Answers 'ok', or 'not_found' for an organization that is gone.
 */
const createWebhookDelivery = `
local retention = ${RETENTION_MS_OF('KEYS[1]')}
if retention <= 0 then return 'not_found' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'ok' end
local keep = math.min(retention, tonumber(ARGV[7]))
local now = tonumber(ARGV[5])
redis.call('HSET', KEYS[2], 'endpointId', ARGV[2], 'eventId', ARGV[3], 'type', ARGV[4], 'createdAt', ARGV[5],
  'since', ARGV[5], 'status', 'pending', 'attempts', 0, 'body', ARGV[6])
if ARGV[8] ~= '' then redis.call('HSET', KEYS[2], 'visitorId', ARGV[8]) end
redis.call('PEXPIRE', KEYS[2], keep)
redis.call('ZADD', KEYS[3], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. (now - keep))
redis.call('PEXPIRE', KEYS[3], keep)
return 'ok'
`;

/**
 * KEYS: delivery, its attempts. ARGV: the attempt (JSON), the status after it (pending|delivered|failed),
 * now, when the next try is due ('' if none), when this run of tries began ('' to keep it: a resend starts
 * a new one). The attempts list expires with the delivery. Answers 'not_found' if the delivery is gone.
 */
const recordWebhookAttempt = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 'not_found' end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'lastAttempt', ARGV[1], 'status', ARGV[2])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'since', ARGV[5]) end
if ARGV[2] == 'delivered' then redis.call('HSET', KEYS[1], 'deliveredAt', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'nextAttemptAt', ARGV[4]) else redis.call('HDEL', KEYS[1], 'nextAttemptAt') end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, 49)
redis.call('PEXPIRE', KEYS[2], ttl)
return 'ok'
`;

/**
 * KEYS: outbox. ARGV: group, the entry handled, then organization id and delivery id pairs. The entry is
 * replaced by one entry per delivery, at once: a crash leaves either the event (handed on again) or its
 * deliveries, never neither.
 */
const handOnWebhookEvent = `
for i = 3, #ARGV, 2 do
  redis.call('XADD', KEYS[1], '*', 'kind', 'delivery', 'org', ARGV[i], 'delivery', ARGV[i + 1])
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 'ok'
`;

/** KEYS: outbox, retries. ARGV: group, the entry handled, `<org>:<delivery>`, when to try again (ms). */
const retryWebhookLater = `
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 'ok'
`;

/** KEYS: outbox. ARGV: group, entry. Done with it: acknowledged and gone from the stream. */
const finishWebhookEntry = `
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 'ok'
`;

/** KEYS: outbox, retries. ARGV: now, at most how many. The deliveries due go back into the outbox; answers how many. */
const releaseDueWebhooks = `
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local sep = string.find(member, ':', 1, true)
  redis.call('XADD', KEYS[1], '*', 'kind', 'delivery', 'org', string.sub(member, 1, sep - 1), 'delivery', string.sub(member, sep + 1))
  redis.call('ZREM', KEYS[2], member)
end
return #due
`;

/**
 * The consumers a process left in the group when it died (each process reads under a name of its own):
 * those with nothing pending and idle longer than ARGV[2] ms are removed, never the caller's own (ARGV[3]).
 * One step, so a consumer is removed only as it was when checked (DELCONSUMER would drop its pending
 * entries). KEYS: outbox. ARGV: group, idle ms, own consumer. Answers how many went.
 */
const removeIdleWebhookConsumers = `
local removed = 0
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #consumer, 2 do f[consumer[i]] = consumer[i + 1] end
  if f.name ~= ARGV[3] and tonumber(f.pending) == 0 and tonumber(f.idle) > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f.name)
    removed = removed + 1
  end
end
return removed
`;

export const WEBHOOK_SCRIPTS = {
  removeIdleWebhookConsumers: { keys: 1, lua: removeIdleWebhookConsumers },
  createWebhookDelivery: { keys: 3, lua: createWebhookDelivery },
  recordWebhookAttempt: { keys: 2, lua: recordWebhookAttempt },
  handOnWebhookEvent: { keys: 1, lua: handOnWebhookEvent },
  retryWebhookLater: { keys: 2, lua: retryWebhookLater },
  finishWebhookEntry: { keys: 1, lua: finishWebhookEntry },
  releaseDueWebhooks: { keys: 2, lua: releaseDueWebhooks },
} as const;
