import { defineScript, integer, oneOf, strings } from '../redis/lua-script.ts';
import { RETENTION_MS_OF } from '../redis/retention-lua.ts';

/*
 * The e-mail outbox's state moves, run by EmailOutbox. Each touches one organization's keys, or only
 * `{email}:orgs`, so each is legal on Redis Cluster.
 */

/**
 * Queues a message: `member` its entry in the due set, `consultationId` '' for none, `body` ciphertext.
 * `extra` holds, in this order, the consultation's e-mails if `hasConsultation` is '1' and the dedupe key
 * if `hasDedupe` is '1'; `dropIfClosed` '1' to drop it if its consultation closes. Everything lives the
 * organization's retention from now. Answers {'ok', id}, {'duplicate', the id queued under that key
 * before}, or {'not_found'} for an organization that is gone.
 */
export const enqueueEmail = defineScript({
  name: 'enqueueEmail',
  keys: ['org', 'message', 'emails', 'due', '...extra'],
  args: ['id', 'now', 'member', 'kind', 'consultationId', 'body', 'hasConsultation', 'hasDedupe', 'dropIfClosed'],
  lua: (k, a) => `
local retention = ${RETENTION_MS_OF(k.org)}
if retention <= 0 then return {'not_found'} end
local now = tonumber(${a.now})
local next = ${k.extra}
local consultationKey = nil
if ${a.hasConsultation} == '1' then consultationKey = KEYS[next]; next = next + 1 end
if ${a.hasDedupe} == '1' then
  local before = redis.call('GET', KEYS[next])
  if before then return {'duplicate', before} end
  redis.call('SET', KEYS[next], ${a.id}, 'PX', retention)
end
redis.call('HSET', ${k.message}, 'kind', ${a.kind}, 'consultationId', ${a.consultationId}, 'createdAt', ${a.now}, 'status', 'queued',
  'at', ${a.now}, 'attempts', 0, 'body', ${a.body}, 'due', ${a.member}, 'dropIfClosed', ${a.dropIfClosed})
redis.call('PEXPIRE', ${k.message}, retention)
for _, index in ipairs({${k.emails}, consultationKey}) do
  redis.call('ZADD', index, now, ${a.id})
  redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. (now - retention))
  redis.call('PEXPIRE', index, retention)
end
redis.call('ZADD', ${k.due}, now, ${a.member})
if redis.call('PTTL', ${k.due}) < retention then redis.call('PEXPIRE', ${k.due}, retention) end
return {'ok', ${a.id}}
`,
  parse: (reply): ['ok', string] | ['duplicate', string] | ['not_found'] => strings(reply) as ['ok', string] | ['duplicate', string] | ['not_found'],
});

/**
 * Claims due e-mails for one attempt each: a claimed one is due again only when the claim runs out
 * (`claimUntil`: its process died mid-send), so two processes never send it at once. A consultation's
 * invitation or reminder whose consultation was cancelled, has ended or is gone is dropped here instead,
 * in the same step. `records`: per member its message and its consultation (the message again when none);
 * `members`: the members read as due. Answers {next due ('' none), then member, body, attempts, createdAt,
 * kind per claimed e-mail}.
 */
export const claimEmails = defineScript({
  name: 'claimEmails',
  keys: ['due', '...records'],
  args: ['now', 'claimUntil', 'token', '...members'],
  lua: (k, a) => `
local now = tonumber(${a.now})
local claimed = {}
for i = ${a.members}, #ARGV do
  local member = ARGV[i]
  local message = KEYS[${k.records} + (i - ${a.members}) * 2]
  local consultation = KEYS[${k.records} + 1 + (i - ${a.members}) * 2]
  local score = redis.call('ZSCORE', ${k.due}, member)
  if score and tonumber(score) <= now then
    local h = redis.call('HMGET', message, 'status', 'dropIfClosed', 'body', 'attempts', 'createdAt', 'kind')
    if h[1] ~= 'queued' then
      redis.call('ZREM', ${k.due}, member)
    else
      local closed = false
      if h[2] == '1' then
        local state = redis.call('HGET', consultation, 'state')
        closed = (not state) or state == 'cancelled' or state == 'ended'
      end
      if closed then
        redis.call('HSET', message, 'status', 'dropped', 'at', ${a.now})
        redis.call('ZREM', ${k.due}, member)
      else
        redis.call('ZADD', ${k.due}, ${a.claimUntil}, member)
        redis.call('HSET', message, 'claim', ${a.token})
        for _, v in ipairs({member, h[3], h[4], h[5], h[6]}) do table.insert(claimed, v) end
      end
    end
  end
end
local first = redis.call('ZRANGE', ${k.due}, 0, 0, 'WITHSCORES')
table.insert(claimed, 1, first[2] or '')
return claimed
`,
  parse: strings,
});

/**
 * An attempt's outcome (sent | failed | retry), if the claim (`token`) is still this attempt's (a claim
 * that ran out belongs to whoever took the e-mail over). `retryAt`: when to try again (retry); `error`:
 * the SMTP answer's code or the network error ('' none).
 */
export const finishEmailAttempt = defineScript({
  name: 'finishEmailAttempt',
  keys: ['message', 'due'],
  args: ['member', 'token', 'now', 'outcome', 'retryAt', 'error'],
  lua: (k, a) => `
if redis.call('HGET', ${k.message}, 'claim') ~= ${a.token} then return 'lost' end
redis.call('HINCRBY', ${k.message}, 'attempts', 1)
redis.call('HDEL', ${k.message}, 'claim')
if ${a.error} ~= '' then redis.call('HSET', ${k.message}, 'lastError', ${a.error}) end
if ${a.outcome} == 'retry' then
  redis.call('ZADD', ${k.due}, ${a.retryAt}, ${a.member})
  -- (Emptied and gone meanwhile: made again, so with a TTL again.)
  if redis.call('PTTL', ${k.due}) < 0 then redis.call('PEXPIRE', ${k.due}, math.max(1, redis.call('PTTL', ${k.message}))) end
else
  redis.call('HSET', ${k.message}, 'status', ${a.outcome}, 'at', ${a.now})
  redis.call('ZREM', ${k.due}, ${a.member})
end
return 'ok'
`,
  parse: oneOf('ok', 'lost'),
});

/**
 * After a process looked at an organization's e-mail: its entry in `{email}:orgs` moves to its next due
 * time (or goes). If the entry changed since it was read (`scoreRead`: an e-mail queued, another process
 * settled it), it may only move earlier: a wake-up too early costs one look, one lost would strand an
 * e-mail. `nextDue` '' for none.
 */
export const settleEmailOrganization = defineScript({
  name: 'settleEmailOrganization',
  keys: ['orgs'],
  args: ['orgId', 'scoreRead', 'nextDue'],
  lua: (k, a) => `
local score = redis.call('ZSCORE', ${k.orgs}, ${a.orgId})
if score and tonumber(score) == tonumber(${a.scoreRead}) then
  if ${a.nextDue} == '' then redis.call('ZREM', ${k.orgs}, ${a.orgId}) else redis.call('ZADD', ${k.orgs}, ${a.nextDue}, ${a.orgId}) end
  return 1
end
if ${a.nextDue} ~= '' then redis.call('ZADD', ${k.orgs}, 'LT', ${a.nextDue}, ${a.orgId}) end
return 0
`,
  parse: integer,
});

/**
 * E-mails erased (a visitor's or a consultation's data): the messages, their places in the indexes and
 * the due set go. `messages` and `ids` in the same order. Answers how many went.
 */
export const forgetEmails = defineScript({
  name: 'forgetEmails',
  keys: ['emails', 'due', 'consultationEmails', '...messages'],
  args: ['...ids'],
  lua: (k, a) => `
local removed = 0
for i = ${k.messages}, #KEYS do
  local id = ARGV[${a.ids} + i - ${k.messages}]
  local member = redis.call('HGET', KEYS[i], 'due')
  if member then redis.call('ZREM', ${k.due}, member) end
  removed = removed + redis.call('DEL', KEYS[i])
  redis.call('ZREM', ${k.emails}, id)
  redis.call('ZREM', ${k.consultationEmails}, id)
end
return removed
`,
  parse: integer,
});

export const EMAIL_SCRIPTS = [enqueueEmail, claimEmails, finishEmailAttempt, settleEmailOrganization, forgetEmails];
