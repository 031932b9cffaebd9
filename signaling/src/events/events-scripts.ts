/*
 * A consultation's progress, moved by its events (registered with the other scripts in scripts.ts).
 * Atomic, so two processes noting events of one consultation never leave a mix of both.
 */

/**
 * KEYS: the consultation. ARGV: event type, now (ms), visitor id ('' if none), call length in ms (''
 * unless call.ended). A cancelled or gone consultation stays as it is. Answers the state after.
 *
 * States: scheduled (link sent, nobody there) -> waiting (the visitor is in line) -> in_call (admitted)
 * -> ended (the call ended, or the visitor was turned away). A visitor who leaves the line before an
 * admission makes it scheduled again: the link still works, they may come back. The first arrival and
 * admission times stand; an end after a send-back and a second call adds its length. A visitor who
 * leaves a call that goes on (a group call) ends their consultation.
 */
const noteConsultationProgress = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'cancelled' then return state or 'gone' end
local t = ARGV[1]
local now = ARGV[2]
local next = state
if t == 'visitor.arrived' or t == 'visitor.transferred' then
  next = 'waiting'
  if redis.call('HEXISTS', KEYS[1], 'arrivedAt') == 0 then redis.call('HSET', KEYS[1], 'arrivedAt', now) end
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'visitorId', ARGV[3]) end
elseif t == 'visitor.left' then
  if state == 'waiting' then next = 'scheduled' end
  if state == 'in_call' then
    next = 'ended'
    redis.call('HSET', KEYS[1], 'endedAt', now)
  end
elseif t == 'visitor.denied' then
  next = 'ended'
  redis.call('HSET', KEYS[1], 'endedAt', now)
elseif t == 'visitor.admitted' then
  next = 'in_call'
  if redis.call('HEXISTS', KEYS[1], 'admittedAt') == 0 then redis.call('HSET', KEYS[1], 'admittedAt', now) end
elseif t == 'call.ended' then
  next = 'ended'
  redis.call('HSET', KEYS[1], 'endedAt', now)
  if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[1], 'callMs', ARGV[4]) end
end
if next ~= state then redis.call('HSET', KEYS[1], 'state', next) end
return next
`;

export const EVENTS_SCRIPTS = {
  noteConsultationProgress: { keys: 1, lua: noteConsultationProgress },
} as const;
