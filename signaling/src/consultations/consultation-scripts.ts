import { defineScript, integer, oneOf, strings } from '../redis/lua-script.ts';

/*
 * Consultations' multi-key changes, run by ConsultationStore and the reminders: a new consultation and its
 * index entries in one step, the trim of a reference index, and a cancellation that takes a waiting
 * visitor out of the line in the same step as it closes the link.
 */

/** Declares keep(key, ttl): raises a key's TTL to `ttl` ms if it is lower (or none yet): an index lives as long as its newest member. */
const KEEP = `
local function keep(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * A new consultation (`id`, its time `score`: scheduled, else now; kept `ttlMs`). `indexes`: the
 * reference's consultations and the references when `referenceHash` is not '', then (if `inviteeCount` is
 * not 0) the invitees and each invitee's consultations. `rest`: the invitee ids, then the hash's fields and
 * values.
 */
export const createConsultation = defineScript({
  name: 'createConsultation',
  keys: ['consultation', 'consultations', '...indexes'],
  args: ['id', 'score', 'ttlMs', 'referenceHash', 'inviteeCount', '...rest'],
  lua: (k, a) => `
${KEEP}
${KEEP}
local ttl = tonumber(${a.ttlMs})
local invitees = tonumber(${a.inviteeCount})
redis.call('HSET', ${k.consultation}, unpack(ARGV, ${a.rest} + invitees))
redis.call('PEXPIRE', ${k.consultation}, ttl)
redis.call('ZADD', ${k.consultations}, ${a.score}, ${a.id})
keep(${k.consultations}, ttl)
local next = ${k.indexes}
if ${a.referenceHash} ~= '' then
  redis.call('ZADD', KEYS[next], ${a.score}, ${a.id})
  keep(KEYS[next], ttl)
  -- LT: the references index holds the time of each reference's oldest consultation.
  redis.call('ZADD', KEYS[next + 1], 'LT', ${a.score}, ${a.referenceHash})
  keep(KEYS[next + 1], ttl)
  next = next + 2
end
for i = 1, invitees do
  redis.call('ZADD', KEYS[next + i], ${a.score}, ${a.id})
  keep(KEYS[next + i], ttl)
  -- (The same LT rule for the invitees as for the references.)
  redis.call('ZADD', KEYS[next], 'LT', ${a.score}, ARGV[${a.rest} - 1 + i])
  keep(KEYS[next], ttl)
end
return 'ok'
`,
  parse: oneOf('ok'),
});

/**
 * The contacts of a consultation's visitor are erased (their own erasure, or an erasure of the visitor who
 * came with it): the sealed number, address, name and link, the SMS ids and its invitee ids leave it, and
 * it leaves each of those invitees' indexes (an index left empty leaves the invitees too). `rest`: the
 * invitee ids (in the order of `inviteeIndexes`), then the fields to delete; `withSms` '1': its SMS ids
 * (`sms`) go too.
 */
export const forgetConsultationContacts = defineScript({
  name: 'forgetConsultationContacts',
  keys: ['consultation', 'invitees', 'sms', '...inviteeIndexes'],
  args: ['consultationId', 'withSms', '...rest'],
  lua: (k, a) => `
if ${a.withSms} == '1' then redis.call('DEL', ${k.sms}) end
local count = #KEYS - ${k.inviteeIndexes} + 1
for i = 1, count do
  local index = KEYS[${k.inviteeIndexes} - 1 + i]
  redis.call('ZREM', index, ${a.consultationId})
  if redis.call('EXISTS', index) == 0 then redis.call('ZREM', ${k.invitees}, ARGV[${a.rest} - 1 + i]) end
end
if redis.call('EXISTS', ${k.consultation}) == 1 then redis.call('HDEL', ${k.consultation}, 'inviteeIds', unpack(ARGV, ${a.rest} + count)) end
return 'ok'
`,
  parse: oneOf('ok'),
});

/**
 * Trims one reference's (or invitee's) index by retention: scores below `cutoff` are past it. Its entry
 * (`member`) in `references` moves to its oldest remaining consultation, or goes with the last. Answers
 * how many went.
 */
export const trimConsultationReference = defineScript({
  name: 'trimConsultationReference',
  keys: ['references', 'referenceIndex'],
  args: ['member', 'cutoff'],
  lua: (k, a) => `
local removed = redis.call('ZREMRANGEBYSCORE', ${k.referenceIndex}, '-inf', '(' .. ${a.cutoff})
local oldest = redis.call('ZRANGE', ${k.referenceIndex}, 0, 0, 'WITHSCORES')
if oldest[2] then redis.call('ZADD', ${k.references}, oldest[2], ${a.member}) else redis.call('ZREM', ${k.references}, ${a.member}) end
return removed
`,
  parse: integer,
});

export type CancelAnswer = ['ok', ...string[]] | ['visitors_changed' | 'not_found' | 'already_cancelled' | 'consultation_in_call' | 'consultation_closed'];

/**
 * `visitorsAndLines`: for each visitor who came with its link, their hash and their room's waiting list;
 * `visitorIdsRead`: the ids of the consultation's visitors (joined by commas) as the caller read them to
 * name those keys; `by` who
 * cancels ('visitor', 'member:<id>', 'api-key:<id>').
 * Refused while anyone of it is in a call; an ended one stays ended; cancelling again changes nothing.
 * Visitors waiting or still checking in leave the line ('cancelled'). Answers {'ok', removed visitor
 * ids...} or {reason}; {'visitors_changed'} (nothing changed) if a visitor checked in since the caller read
 * the list: the caller reads again, so no one who joined in between stays in line.
 */
export const cancelConsultation = defineScript({
  name: 'cancelConsultation',
  keys: ['consultation', 'consultationVisitors', 'presence', '...visitorsAndLines'],
  args: ['now', 'visitorIdsRead', 'by'],
  lua: (k, a) => `
local state = redis.call('HGET', ${k.consultation}, 'state')
if not state then return {'not_found'} end
if table.concat(redis.call('ZRANGE', ${k.consultationVisitors}, 0, -1), ',') ~= ${a.visitorIdsRead} then return {'visitors_changed'} end
if state == 'cancelled' then return {'already_cancelled'} end
if state == 'in_call' then return {'consultation_in_call'} end
for i = ${k.visitorsAndLines}, #KEYS, 2 do
  if redis.call('HGET', KEYS[i], 'state') == 'in_call' then return {'consultation_in_call'} end
end
if state == 'ended' then return {'consultation_closed'} end
redis.call('HSET', ${k.consultation}, 'state', 'cancelled', 'cancelledAt', ${a.now}, 'cancelledBy', ${a.by})
local removed = {'ok'}
for i = ${k.visitorsAndLines}, #KEYS, 2 do
  local s = redis.call('HGET', KEYS[i], 'state')
  if s == 'waiting' or s == 'checking_in' then
    local visitorId = redis.call('HGET', KEYS[i], 'visitorId')
    redis.call('HSET', KEYS[i], 'state', 'left', 'leftAt', ${a.now}, 'leftReason', 'cancelled')
    redis.call('ZREM', KEYS[i + 1], visitorId)
    redis.call('ZREM', ${k.presence}, visitorId)
    table.insert(removed, visitorId)
  end
end
return removed
`,
  parse: (reply): CancelAnswer => {
    const [first, ...rest] = strings(reply);
    if (first === 'ok') return ['ok', ...rest];
    return [oneOf('visitors_changed', 'not_found', 'already_cancelled', 'consultation_in_call', 'consultation_closed')(first)];
  },
});

/**
 * A visitor of the consultation was erased: their id, the invitation SMS ids, the prefill and the address
 * the invitation went to (about them) leave the consultation; the rest of it (times, the EHR's reference) stays.
 */
export const forgetConsultationVisitor = defineScript({
  name: 'forgetConsultationVisitor',
  keys: ['consultation', 'consultationVisitors', 'consultationSms'],
  args: ['visitorId'],
  lua: (k, a) => `
if redis.call('EXISTS', ${k.consultation}) == 0 then return 'not_found' end
redis.call('ZREM', ${k.consultationVisitors}, ${a.visitorId})
if redis.call('HGET', ${k.consultation}, 'visitorId') == ${a.visitorId} then redis.call('HDEL', ${k.consultation}, 'visitorId') end
redis.call('DEL', ${k.consultationSms})
redis.call('HDEL', ${k.consultation}, 'prefillName', 'prefillPhone', 'visitorEmail')
return 'ok'
`,
  parse: oneOf('ok', 'not_found'),
});

/**
 * A consultation's reminders, planned once it is made (only if it still is scheduled: a cancellation that
 * came first wins): `minutes` the list ('1440,60'), `due` member and due time pairs, kept `ttlMs`. Answers
 * how many were planned.
 */
export const planReminders = defineScript({
  name: 'planReminders',
  keys: ['consultation', 'reminders'],
  args: ['ttlMs', 'minutes', '...due'],
  lua: (k, a) => `
${KEEP}
${KEEP}
if redis.call('HGET', ${k.consultation}, 'state') ~= 'scheduled' then return 0 end
redis.call('HSET', ${k.consultation}, 'reminders', ${a.minutes})
for i = ${a.due}, #ARGV, 2 do redis.call('ZADD', ${k.reminders}, ARGV[i + 1], ARGV[i]) end
keep(${k.reminders}, tonumber(${a.ttlMs}))
return (#ARGV - ${a.due} + 1) / 2
`,
  parse: integer,
});

/**
 * Takes one due reminder for sending, so no other process sends it: only if the consultation is neither
 * cancelled nor ended nor begun (its time not passed, its visitor not yet come), and this reminder was not sent. It is marked as being sent until
 * `leaseUntil` and its index entry moves to then (should this process die while sending, another takes it
 * over then); a cancellation waits until `sendingUntil` (the same lease on the server's own clock, where
 * `now` may be a test's). Answers 'claimed', 'not_due' or 'dropped' (its entry gone).
 */
export const claimReminder = defineScript({
  name: 'claimReminder',
  keys: ['reminders', 'consultation'],
  args: ['member', 'minutes', 'now', 'leaseUntil', 'sendingUntil'],
  lua: (k, a) => `
local due = redis.call('ZSCORE', ${k.reminders}, ${a.member})
if not due or tonumber(due) > tonumber(${a.now}) then return 'not_due' end
local c = redis.call('HMGET', ${k.consultation}, 'state', 'scheduledAt', 'reminded:' .. ${a.minutes})
local state = c[1]
local at = tonumber(c[2] or '')
-- (A visitor already waiting or in the call needs no reminder either.)
if state ~= 'scheduled' or (not at) or at <= tonumber(${a.now}) or c[3] == 'sent' then
  redis.call('ZREM', ${k.reminders}, ${a.member})
  return 'dropped'
end
redis.call('ZADD', ${k.reminders}, ${a.leaseUntil}, ${a.member})
redis.call('HSET', ${k.consultation}, 'reminded:' .. ${a.minutes}, 'sending:' .. ${a.sendingUntil})
return 'claimed'
`,
  parse: oneOf('claimed', 'not_due', 'dropped'),
});

/**
 * How a claimed reminder went: `outcome` 'sent' (done), 'sms' (its SMS went; not again on a retry), or the
 * time to try again (a channel failed). A retry of a consultation cancelled meanwhile is dropped. Writes
 * nothing on a consultation that is gone (no field would outlive it).
 */
export const reminderOutcome = defineScript({
  name: 'reminderOutcome',
  keys: ['reminders', 'consultation'],
  args: ['member', 'minutes', 'outcome'],
  lua: (k, a) => `
local exists = redis.call('EXISTS', ${k.consultation}) == 1
if ${a.outcome} == 'sms' then
  if exists then redis.call('HSET', ${k.consultation}, 'reminded:' .. ${a.minutes} .. ':sms', 'sent') end
  return 'ok'
end
if ${a.outcome} == 'sent' then
  redis.call('ZREM', ${k.reminders}, ${a.member})
  if exists then redis.call('HSET', ${k.consultation}, 'reminded:' .. ${a.minutes}, 'sent') end
  return 'ok'
end
if exists then redis.call('HDEL', ${k.consultation}, 'reminded:' .. ${a.minutes}) end
local state = redis.call('HGET', ${k.consultation}, 'state')
if (not state) or state == 'cancelled' or state == 'ended' then
  redis.call('ZREM', ${k.reminders}, ${a.member})
  return 'dropped'
end
redis.call('ZADD', ${k.reminders}, ${a.outcome}, ${a.member})
return 'retry'
`,
  parse: oneOf('ok', 'dropped', 'retry'),
});

export const CONSULTATION_SCRIPTS = [createConsultation, forgetConsultationContacts, trimConsultationReference, cancelConsultation, forgetConsultationVisitor, planReminders, claimReminder, reminderOutcome];
