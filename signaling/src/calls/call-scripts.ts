import { defineScript, oneOf, strings, unexpectedReply } from '../redis/lua-script.ts';
import { RETENTION_MS_OF, RETENTION_OR_NOT_FOUND, TRIM } from '../redis/retention-lua.ts';

/*
 * A call's own transitions, run by CallStore (the ones that take a visitor out of the waiting room are
 * the waiting room's: waiting-room-scripts.ts). Atomic, so an ask into a full call and an end of the call
 * cannot cross.
 */

/** Declares `callState`; a call that is gone answers 'not_found', one that ended 'call_ended'. */
const CALL_MUST_BE_ACTIVE = (call: string) => `
local callState = redis.call('HGET', ${call}, 'state')
if not callState then return 'not_found' end
if callState ~= 'active' then return 'call_ended' end
`;

/**
 * Asks a colleague into an ongoing call; it shows in their history, and stays among their pending
 * invitations (with who asked, `by`, on the call's record) until they join or decline it or the call ends.
 */
export const inviteToCall = defineScript({
  name: 'inviteToCall',
  keys: ['org', 'call', 'callMembers', 'history', 'invitations'],
  args: ['professionalId', 'callId', 'now', 'maxParticipants', 'by'],
  lua: (k, a) => `
${RETENTION_OR_NOT_FOUND('retention', k.org)}
local now = tonumber(${a.now})
${CALL_MUST_BE_ACTIVE(k.call)}
local member = 'professional:' .. ${a.professionalId}
if redis.call('SISMEMBER', ${k.callMembers}, member) == 1 then return 'ok' end
if redis.call('SCARD', ${k.callMembers}) >= tonumber(${a.maxParticipants}) then return 'call_full' end
redis.call('SADD', ${k.callMembers}, member)
redis.call('ZADD', ${k.history}, now, ${a.callId})
${TRIM(k.history, 'now', 'retention')}
redis.call('HSET', ${k.call}, 'invitedBy:' .. ${a.professionalId}, ${a.by})
redis.call('ZADD', ${k.invitations}, now, ${a.callId})
${TRIM(k.invitations, 'now', 'retention')}
return 'ok'
`,
  parse: oneOf('ok', 'not_found', 'call_ended', 'call_full'),
});

/**
 * Takes back an ask into a call the colleague has not answered: they are no longer asked into it, and it
 * leaves their history (they never took part).
 */
export const withdrawCallInvitation = defineScript({
  name: 'withdrawCallInvitation',
  keys: ['call', 'callMembers', 'history', 'invitations'],
  args: ['professionalId', 'callId'],
  lua: (k, a) => `
${CALL_MUST_BE_ACTIVE(k.call)}
if redis.call('ZREM', ${k.invitations}, ${a.callId}) == 0 then return 'not_found' end
redis.call('SREM', ${k.callMembers}, 'professional:' .. ${a.professionalId})
redis.call('ZREM', ${k.history}, ${a.callId})
redis.call('HDEL', ${k.call}, 'invitedBy:' .. ${a.professionalId})
return 'ok'
`,
  parse: oneOf('ok', 'not_found', 'call_ended'),
});

/**
 * Someone other than the host leaves a call (or declines to join it); a visitor's visit ends with it, a
 * professional's invitation to it (if still pending) goes. `record`: the visitor's hash for a visitor, or
 * the professional's pending invitations. Answers how many are left in the call.
 */
export const leaveCall = defineScript({
  name: 'leaveCall',
  keys: ['callMembers', 'record?'],
  args: ['member', 'callId', 'now'],
  lua: (k, a) => `
if redis.call('SREM', ${k.callMembers}, ${a.member}) == 0 then return 'not_found' end
if ${k.record} and string.sub(${a.member}, 1, 13) == 'professional:' then
  redis.call('ZREM', ${k.record}, ${a.callId})
elseif ${k.record} and redis.call('HGET', ${k.record}, 'callId') == ${a.callId} and redis.call('HGET', ${k.record}, 'state') == 'in_call' then
  redis.call('HSET', ${k.record}, 'state', 'ended', 'endedAt', ${a.now})
end
return tostring(redis.call('SCARD', ${k.callMembers}))
`,
  parse: (reply): { left: number } | 'not_found' => {
    if (reply === 'not_found') return reply;
    if (typeof reply === 'string' && /^\d+$/.test(reply)) return { left: Number(reply) };
    throw unexpectedReply(reply);
  },
});

/**
 * Ends a call; its length joins its room's recent ones (for the wait estimate; `lengthsKept` of them).
 * `records`: the hash of each visitor of the call (`visitorCount` of them), then the pending invitations
 * of each professional in it or asked into it. Answers the visitors whose visit ended.
 */
export const endCall = defineScript({
  name: 'endCall',
  keys: ['call', 'org', 'roomCallLengths', '...records'],
  args: ['now', 'lengthsKept', 'visitorCount'],
  lua: (k, a) => `
local state = redis.call('HGET', ${k.call}, 'state')
if not state then return 'not_found' end
if state ~= 'active' then return 'call_ended' end
redis.call('HSET', ${k.call}, 'state', 'ended', 'endedAt', ${a.now})
local callId = redis.call('HGET', ${k.call}, 'callId')
local retention = ${RETENTION_MS_OF(k.org)}
if retention > 0 then
  redis.call('LPUSH', ${k.roomCallLengths}, tonumber(${a.now}) - tonumber(redis.call('HGET', ${k.call}, 'startedAt')))
  redis.call('LTRIM', ${k.roomCallLengths}, 0, tonumber(${a.lengthsKept}) - 1)
  redis.call('PEXPIRE', ${k.roomCallLengths}, retention)
end
-- The visitors' visits end with the call, unless they were sent back to wait (they are in no call then).
local ended = {}
local lastVisitor = ${k.records} - 1 + tonumber(${a.visitorCount})
for i = ${k.records}, lastVisitor do
  if redis.call('HGET', KEYS[i], 'callId') == callId and redis.call('HGET', KEYS[i], 'state') == 'in_call' then
    redis.call('HSET', KEYS[i], 'state', 'ended', 'endedAt', ${a.now})
    table.insert(ended, redis.call('HGET', KEYS[i], 'visitorId'))
  end
end
-- An ended call is offered to no one any more.
for i = lastVisitor + 1, #KEYS do redis.call('ZREM', KEYS[i], callId) end
return ended
`,
  parse: (reply): { ended: string[] } | 'not_found' | 'call_ended' => (Array.isArray(reply) ? { ended: strings(reply) } : oneOf('not_found', 'call_ended')(reply)),
});

export const CALL_SCRIPTS = [inviteToCall, withdrawCallInvitation, leaveCall, endCall];
