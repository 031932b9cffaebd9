import { defineScript, oneOf } from '../redis/lua-script.ts';

/*
 * A consultation's progress, moved by its events.
 * Atomic, so two processes noting events of one consultation never leave a mix of both.
 */

/**
 * `visitorId` '' if none; `callMs` the call's length ('' unless call.ended). A cancelled or gone
 * consultation stays as it is. Answers the state after ('gone' for none).
 *
 * States: scheduled (link sent, nobody there) -> waiting (the visitor is in line) -> in_call (admitted)
 * -> ended (the call ended, or the visitor was turned away). A visitor who leaves the line before an
 * admission makes it scheduled again: the link still works, they may come back. The first arrival and
 * admission times stand; an end after a send-back and a second call adds its length. A visitor who
 * leaves a call that goes on (a group call) ends their consultation.
 */
export const noteConsultationProgress = defineScript({
  name: 'noteConsultationProgress',
  keys: ['consultation'],
  args: ['type', 'now', 'visitorId', 'callMs'],
  lua: (k, a) => `
local state = redis.call('HGET', ${k.consultation}, 'state')
if not state or state == 'cancelled' then return state or 'gone' end
local t = ${a.type}
local now = ${a.now}
local next = state
if t == 'visitor.arrived' or t == 'visitor.transferred' then
  next = 'waiting'
  if redis.call('HEXISTS', ${k.consultation}, 'arrivedAt') == 0 then redis.call('HSET', ${k.consultation}, 'arrivedAt', now) end
  if ${a.visitorId} ~= '' then redis.call('HSET', ${k.consultation}, 'visitorId', ${a.visitorId}) end
elseif t == 'visitor.left' then
  if state == 'waiting' then next = 'scheduled' end
  if state == 'in_call' then
    next = 'ended'
    redis.call('HSET', ${k.consultation}, 'endedAt', now)
  end
elseif t == 'visitor.denied' then
  next = 'ended'
  redis.call('HSET', ${k.consultation}, 'endedAt', now)
elseif t == 'visitor.admitted' then
  next = 'in_call'
  if redis.call('HEXISTS', ${k.consultation}, 'admittedAt') == 0 then redis.call('HSET', ${k.consultation}, 'admittedAt', now) end
elseif t == 'call.ended' then
  next = 'ended'
  redis.call('HSET', ${k.consultation}, 'endedAt', now)
  if ${a.callMs} ~= '' then redis.call('HINCRBY', ${k.consultation}, 'callMs', ${a.callMs}) end
end
if next ~= state then redis.call('HSET', ${k.consultation}, 'state', next) end
return next
`,
  parse: oneOf('gone', 'scheduled', 'waiting', 'in_call', 'ended', 'cancelled'),
});
