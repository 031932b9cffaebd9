import { RETENTION_MS_OF } from '../redis/retention-lua.ts';

/*
 * The e-mail outbox's state moves (registered with the other scripts in scripts.ts). Each touches one
 * organization's keys, or only `{email}:orgs`, so each is legal on Redis Cluster.
 */

/**
 * KEYS: org, message, the organization's e-mails, due, [the consultation's e-mails], [dedupe key].
 * ARGV: id, now, due member, kind, consultation id ('' none), body (ciphertext), '1' if KEYS hold a
 * consultation's e-mails, '1' if they hold a dedupe key, '1' to drop it if its consultation closes.
 * Everything lives the organization's retention from now. Answers {'ok', id}, {'duplicate', the id queued
 * under that key before}, or {'not_found'} for an organization that is gone.
 */
const enqueueEmail = `
local retention = ${RETENTION_MS_OF('KEYS[1]')}
if retention <= 0 then return {'not_found'} end
local now = tonumber(ARGV[2])
local next = 5
local consultationKey = nil
if ARGV[7] == '1' then consultationKey = KEYS[next]; next = next + 1 end
if ARGV[8] == '1' then
  local before = redis.call('GET', KEYS[next])
  if before then return {'duplicate', before} end
  redis.call('SET', KEYS[next], ARGV[1], 'PX', retention)
end
redis.call('HSET', KEYS[2], 'kind', ARGV[4], 'consultationId', ARGV[5], 'createdAt', ARGV[2], 'status', 'queued',
  'at', ARGV[2], 'attempts', 0, 'body', ARGV[6], 'due', ARGV[3], 'dropIfClosed', ARGV[9])
redis.call('PEXPIRE', KEYS[2], retention)
for _, index in ipairs({KEYS[3], consultationKey}) do
  redis.call('ZADD', index, now, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. (now - retention))
  redis.call('PEXPIRE', index, retention)
end
redis.call('ZADD', KEYS[4], now, ARGV[3])
if redis.call('PTTL', KEYS[4]) < retention then redis.call('PEXPIRE', KEYS[4], retention) end
return {'ok', ARGV[1]}
`;

/**
 * Claims due e-mails for one attempt each: a claimed one is due again only when the claim runs out (its
 * process died mid-send), so two processes never send it at once. A consultation's invitation or reminder
 * whose consultation was cancelled, has ended or is gone is dropped here instead, in the same step.
 * KEYS: due, then per member its message and its consultation (the message again when none).
 * ARGV: now, claim until, claim token, then the members read as due.
 * Answers {next due ('' none), then member, body, attempts, createdAt, kind per claimed e-mail}.
 */
const claimEmails = `
local now = tonumber(ARGV[1])
local claimed = {}
for i = 4, #ARGV do
  local member = ARGV[i]
  local message = KEYS[2 + (i - 4) * 2]
  local consultation = KEYS[3 + (i - 4) * 2]
  local score = redis.call('ZSCORE', KEYS[1], member)
  if score and tonumber(score) <= now then
    local h = redis.call('HMGET', message, 'status', 'dropIfClosed', 'body', 'attempts', 'createdAt', 'kind')
    if h[1] ~= 'queued' then
      redis.call('ZREM', KEYS[1], member)
    else
      local closed = false
      if h[2] == '1' then
        local state = redis.call('HGET', consultation, 'state')
        closed = (not state) or state == 'cancelled' or state == 'ended'
      end
      if closed then
        redis.call('HSET', message, 'status', 'dropped', 'at', ARGV[1])
        redis.call('ZREM', KEYS[1], member)
      else
        redis.call('ZADD', KEYS[1], ARGV[2], member)
        redis.call('HSET', message, 'claim', ARGV[3])
        for _, v in ipairs({member, h[3], h[4], h[5], h[6]}) do table.insert(claimed, v) end
      end
    end
  end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
table.insert(claimed, 1, first[2] or '')
return claimed
`;

/**
 * An attempt's outcome, if the claim is still this attempt's (a claim that ran out belongs to whoever
 * took the e-mail over). KEYS: message, due. ARGV: member, claim token, now, outcome (sent | failed |
 * retry), when to try again (retry), the SMTP answer's code or the network error ('' none).
 */
const finishEmailAttempt = `
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[2] then return 'lost' end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HDEL', KEYS[1], 'claim')
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'lastError', ARGV[6]) end
if ARGV[4] == 'retry' then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
  -- (Emptied and gone meanwhile: made again, so with a TTL again.)
  if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], math.max(1, redis.call('PTTL', KEYS[1]))) end
else
  redis.call('HSET', KEYS[1], 'status', ARGV[4], 'at', ARGV[3])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 'ok'
`;

/**
 * After a process looked at an organization's e-mail: its entry in `{email}:orgs` moves to its next due
 * time (or goes). If the entry changed since it was read (an e-mail queued, another process settled it),
 * it may only move earlier: a wake-up too early costs one look, one lost would strand an e-mail.
 * KEYS: orgs. ARGV: org id, the score read, next due ('' none).
 */
const settleEmailOrganization = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
  return 1
end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[1], 'LT', ARGV[3], ARGV[1]) end
return 0
`;

/**
 * E-mails erased (a visitor's or a consultation's data): the messages, their places in the indexes and
 * the due set go. KEYS: the organization's e-mails, due, the consultation's e-mails, then the messages.
 * ARGV: their ids. Answers how many went.
 */
const forgetEmails = `
local removed = 0
for i = 4, #KEYS do
  local id = ARGV[i - 3]
  local member = redis.call('HGET', KEYS[i], 'due')
  if member then redis.call('ZREM', KEYS[2], member) end
  removed = removed + redis.call('DEL', KEYS[i])
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[3], id)
end
return removed
`;

export const EMAIL_SCRIPTS = {
  enqueueEmail: { keys: 'variable', lua: enqueueEmail },
  claimEmails: { keys: 'variable', lua: claimEmails },
  finishEmailAttempt: { keys: 2, lua: finishEmailAttempt },
  settleEmailOrganization: { keys: 1, lua: settleEmailOrganization },
  forgetEmails: { keys: 'variable', lua: forgetEmails },
} as const;
