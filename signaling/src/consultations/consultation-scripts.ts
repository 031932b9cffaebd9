/*
 * Consultations' multi-key changes (registered with the other scripts in scripts.ts): a new consultation
 * and its index entries in one step, the trim of a reference index, and a cancellation that takes a
 * waiting visitor out of the line in the same step as it closes the link.
 */

/** Raises a key's TTL to `ttl` ms if it is lower (or none yet): an index lives as long as its newest member. */
const KEEP = `
local function keep(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * KEYS: consultation, the organization's consultations, [the reference's consultations, the references],
 * [the invitees, then each invitee's consultations].
 * ARGV: id, score (its time: scheduled, else now), ttl ms, reference hash ('' for none), the number of
 * invitee ids, those ids, then the hash's fields and values.
 */
const createConsultation = `
${KEEP}
local ttl = tonumber(ARGV[3])
local invitees = tonumber(ARGV[5])
redis.call('HSET', KEYS[1], unpack(ARGV, 6 + invitees))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
keep(KEYS[2], ttl)
local next = 3
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  keep(KEYS[3], ttl)
  -- LT: the references index holds the time of each reference's oldest consultation.
  redis.call('ZADD', KEYS[4], 'LT', ARGV[2], ARGV[4])
  keep(KEYS[4], ttl)
  next = 5
end
for i = 1, invitees do
  redis.call('ZADD', KEYS[next + i], ARGV[2], ARGV[1])
  keep(KEYS[next + i], ttl)
  -- (The same LT rule for the invitees as for the references.)
  redis.call('ZADD', KEYS[next], 'LT', ARGV[2], ARGV[5 + i])
  keep(KEYS[next], ttl)
end
return 'ok'
`;

/**
 * The contacts of a consultation's visitor are erased (their own erasure, or an erasure of the visitor who
 * came with it): the sealed number, address, name and link, the SMS ids and its invitee ids leave it, and
 * it leaves each of those invitees' indexes (an index left empty leaves the invitees too). KEYS:
 * consultation, the invitees, then each invitee's consultations. ARGV: consultation id, the invitee ids,
 * then the fields to delete.
 */
const forgetConsultationContacts = `
local count = #KEYS - 2
for i = 1, count do
  redis.call('ZREM', KEYS[2 + i], ARGV[1])
  if redis.call('EXISTS', KEYS[2 + i]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1 + i]) end
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HDEL', KEYS[1], 'inviteeIds', unpack(ARGV, 2 + count)) end
return 'ok'
`;

/**
 * Trims one reference's index by retention. KEYS: the references, the reference's consultations. ARGV:
 * reference hash, cutoff (scores below it are past retention). Its entry in the references moves to its
 * oldest remaining consultation, or goes with the last.
 */
const trimConsultationReference = `
local removed = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2])
local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if oldest[2] then redis.call('ZADD', KEYS[1], oldest[2], ARGV[1]) else redis.call('ZREM', KEYS[1], ARGV[1]) end
return removed
`;

/**
 * KEYS: consultation, presence, then for each visitor who came with its link: their hash and their room's
 * waiting list. ARGV: now, the consultation's visitorIds as the caller read them to name those keys, who
 * cancels ('visitor', 'member:<id>', 'api-key:<id>').
 * Refused while anyone of it is in a call; an ended one stays ended; cancelling again changes nothing.
 * Visitors waiting or still checking in leave the line ('cancelled'). Answers {'ok', removed visitor
 * ids...} or {reason}; {'visitors_changed'} (nothing changed) if a visitor checked in since the caller read
 * the list: the caller reads again, so no one who joined in between stays in line.
 */
const cancelConsultation = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'not_found'} end
if (redis.call('HGET', KEYS[1], 'visitorIds') or '') ~= ARGV[2] then return {'visitors_changed'} end
if state == 'cancelled' then return {'already_cancelled'} end
if state == 'in_call' then return {'consultation_in_call'} end
for i = 3, #KEYS, 2 do
  if redis.call('HGET', KEYS[i], 'state') == 'in_call' then return {'consultation_in_call'} end
end
if state == 'ended' then return {'consultation_closed'} end
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'cancelledAt', ARGV[1], 'cancelledBy', ARGV[3])
local removed = {'ok'}
for i = 3, #KEYS, 2 do
  local s = redis.call('HGET', KEYS[i], 'state')
  if s == 'waiting' or s == 'checking_in' then
    local visitorId = redis.call('HGET', KEYS[i], 'visitorId')
    redis.call('HSET', KEYS[i], 'state', 'left', 'leftAt', ARGV[1], 'leftReason', 'cancelled')
    redis.call('ZREM', KEYS[i + 1], visitorId)
    redis.call('ZREM', KEYS[2], visitorId)
    table.insert(removed, visitorId)
  end
end
return removed
`;

/**
 * A visitor of the consultation was erased: their id, the invitation SMS ids, the prefill and the address
 * the invitation went to (about them) leave the consultation; the rest of it (times, the EHR's reference) stays. KEYS: consultation. ARGV: visitor id.
 */
const forgetConsultationVisitor = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
local kept = {}
for v in string.gmatch(redis.call('HGET', KEYS[1], 'visitorIds') or '', '([^,]+)') do
  if v ~= ARGV[1] then table.insert(kept, v .. ',') end
end
redis.call('HSET', KEYS[1], 'visitorIds', table.concat(kept))
if redis.call('HGET', KEYS[1], 'visitorId') == ARGV[1] then redis.call('HDEL', KEYS[1], 'visitorId') end
redis.call('HDEL', KEYS[1], 'smsIds', 'prefillName', 'prefillPhone', 'visitorEmail')
return 'ok'
`;

/**
 * A consultation's reminders, planned once it is made (only if it still is scheduled: a cancellation that
 * came first wins). KEYS: consultation, the organization's reminders. ARGV: ttl ms, the minutes list
 * ('1440,60'), then member and due time pairs.
 */
const planReminders = `
${KEEP}
if redis.call('HGET', KEYS[1], 'state') ~= 'scheduled' then return 0 end
redis.call('HSET', KEYS[1], 'reminders', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i]) end
keep(KEYS[2], tonumber(ARGV[1]))
return (#ARGV - 2) / 2
`;

/**
 * Takes one due reminder for sending, so no other process sends it: only if the consultation is neither
 * cancelled nor ended nor begun (its time not passed, its visitor not yet come), and this reminder was not sent. It is marked as being sent until
 * `leaseUntil` and its index entry moves to then (should this process die while sending, another takes it
 * over then); a cancellation waits until `sendingUntil` (the same lease on the server's own clock, where
 * `now` may be a test's). KEYS: the organization's reminders, consultation. ARGV: member, minutes, now,
 * leaseUntil, sendingUntil. Answers 'claimed', 'not_due' or 'dropped' (its entry gone).
 */
const claimReminder = `
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[3]) then return 'not_due' end
local c = redis.call('HMGET', KEYS[2], 'state', 'scheduledAt', 'reminded:' .. ARGV[2])
local state = c[1]
local at = tonumber(c[2] or '')
-- (A visitor already waiting or in the call needs no reminder either.)
if state ~= 'scheduled' or (not at) or at <= tonumber(ARGV[3]) or c[3] == 'sent' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 'dropped'
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('HSET', KEYS[2], 'reminded:' .. ARGV[2], 'sending:' .. ARGV[5])
return 'claimed'
`;

/**
 * How a claimed reminder went. KEYS: the organization's reminders, consultation. ARGV: member, minutes,
 * outcome: 'sent' (done), 'sms' (its SMS went; not again on a retry), or the time to try again (a
 * channel failed). A retry of a consultation cancelled meanwhile is dropped. Writes nothing on a
 * consultation that is gone (no field would outlive it).
 */
const reminderOutcome = `
local exists = redis.call('EXISTS', KEYS[2]) == 1
if ARGV[3] == 'sms' then
  if exists then redis.call('HSET', KEYS[2], 'reminded:' .. ARGV[2] .. ':sms', 'sent') end
  return 'ok'
end
if ARGV[3] == 'sent' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  if exists then redis.call('HSET', KEYS[2], 'reminded:' .. ARGV[2], 'sent') end
  return 'ok'
end
if exists then redis.call('HDEL', KEYS[2], 'reminded:' .. ARGV[2]) end
local state = redis.call('HGET', KEYS[2], 'state')
if (not state) or state == 'cancelled' or state == 'ended' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 'dropped'
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 'retry'
`;

export const CONSULTATION_SCRIPTS = {
  planReminders: { keys: 2, lua: planReminders },
  claimReminder: { keys: 2, lua: claimReminder },
  reminderOutcome: { keys: 2, lua: reminderOutcome },
  forgetConsultationVisitor: { keys: 1, lua: forgetConsultationVisitor },
  createConsultation: { keys: 'variable', lua: createConsultation },
  forgetConsultationContacts: { keys: 'variable', lua: forgetConsultationContacts },
  trimConsultationReference: { keys: 2, lua: trimConsultationReference },
  cancelConsultation: { keys: 'variable', lua: cancelConsultation },
} as const;
