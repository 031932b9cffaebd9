import { defineScript, oneOf } from '../redis/lua-script.ts';
import { RETENTION_OR_NOT_FOUND, TRIM } from '../redis/retention-lua.ts';

/*
 * The waiting room's transitions, run by WaitingRoomStore (and the presence sweep). They touch several
 * keys, so they are atomic Lua scripts: two professionals admitting one visitor cannot both win, and a
 * crash between two writes cannot leave half a call. Each reads the organization's retention itself, sets
 * the TTL of every visitor/call key it writes, and trims the indexes it writes by time.
 */

/**
 * The visitor (hash at `visitor`) must be waiting to be admitted, turned away or moved. Someone else being
 * quicker is said as such: the loser of a race hears `already_admitted`, not merely "not waiting".
 */
const MUST_BE_WAITING = (visitor: string) => `
local state = redis.call('HGET', ${visitor}, 'state')
if not state then return 'not_found' end
if state == 'in_call' then return 'already_admitted' end
if state ~= 'waiting' then return 'not_waiting' end
`;

/**
 * Every call a visitor was admitted to, in a set beside their record (for their export and their erasure),
 * which lives as long as the record: `retention`, as the caller sets on the record in the same step.
 */
const NOTE_CALL = (visitorCalls: string, callId: string, retention: string) => `
redis.call('SADD', ${visitorCalls}, ${callId})
redis.call('PEXPIRE', ${visitorCalls}, ${retention})
`;

/** The sets beside a record (its ids) expire when it does: called after the record's TTL changed. */
const SETS_EXPIRE_WITH = (owner: string, sets: string[]) => `
local ownerTtl = redis.call('PTTL', ${owner})
if ownerTtl > 0 then
  for _, set in ipairs({ ${sets.join(', ')} }) do
    if redis.call('EXISTS', set) == 1 then redis.call('PEXPIRE', set, ownerTtl) end
  end
end
`;

/**
 * Into the room's line at `now`: the visitor's data kept for the retention period from then (from the
 * appointment, for a scheduled visitor who comes early).
 */
const ENTER_LINE = (visitor: string, waiting: string, visitorId: string, now: string, retention: string) => `
local from = ${now}
local appointmentAt = tonumber(redis.call('HGET', ${visitor}, 'appointmentAt'))
if appointmentAt then from = math.max(${now}, appointmentAt) end
redis.call('PEXPIRE', ${visitor}, ${retention} + (from - ${now}))
redis.call('ZADD', ${waiting}, ${now}, ${visitorId})
${TRIM(waiting, now, retention)}
`;

/**
 * A scheduled consultation's visitor joins or enters its line only while the consultation still takes
 * visitors: its link was resolved a moment before, and a cancellation may have come in between. Checked
 * in the same step as the visitor is put in line, so a cancel and a check-in cannot cross. Declares
 * `consultationState`.
 */
const CONSULTATION_MUST_BE_OPEN = (consultation: string) => `
local consultationState = redis.call('HGET', ${consultation}, 'state')
if not consultationState or consultationState == 'cancelled' then return 'not_found' end
`;

/**
 * A consultation's link checks in one visitor at a time: the last one who came with it (the last of its
 * visitors, in the order they came) holds it while checking in, waiting or in the call; after their call ended (or they were
 * turned away) the consultation is over and its link checks no one in. The caller names the holder's key
 * from the visitors it read (`visitorIdsRead`: their ids joined by commas); if a check-in landed since, nothing changes and it reads again
 * ('visitors_changed'), so two check-ins at once give one visitor.
 */
const ONE_VISITOR_PER_LINK = (consultationVisitors: string, consultationState: string, holder: string, visitorIdsRead: string) => `
if table.concat(redis.call('ZRANGE', ${consultationVisitors}, 0, -1), ',') ~= ${visitorIdsRead} then return 'visitors_changed' end
if ${consultationState} == 'ended' then return 'consultation_closed' end
if ${holder} then
  local held = redis.call('HGET', ${holder}, 'state')
  if held == 'checking_in' or held == 'waiting' or held == 'in_call' then return 'link_in_use' end
  if held == 'ended' or (held == 'left' and redis.call('HGET', ${holder}, 'leftReason') == 'denied') then return 'consultation_closed' end
end
`;

/**
 * A visitor checks in. `pseudonymous` '1' in a pseudonymous room (the access code is used up; the caller
 * gave its label as the name); `steps` the check-in steps still to do (comma separated; '' = none:
 * straight into the line), `checkingInMs` how long a visitor doing them is kept; `deviceCheck` what the
 * device check found (JSON, or ''); `consultation` (and `holder`, the key of its last visitor if it had
 * one) for a visitor with its link, `visitorIdsRead` the ids of its visitors as the caller read them (see
 * ONE_VISITOR_PER_LINK). A scheduled visitor's data is kept for the retention period from the later of now
 * and the appointment. A room deleted meanwhile takes no one, nor a consultation cancelled meanwhile; the
 * visitor is noted on the consultation in the same step (so a cancellation after it takes them out of line).
 */
export const joinWaitingRoom = defineScript({
  name: 'joinWaitingRoom',
  keys: ['org', 'visitor', 'waiting', 'room', 'accessCode', 'visitors', 'consultation?', 'consultationVisitors?', 'holder?'],
  args: ['visitorId', 'roomId', 'name', 'tokenHash', 'now', 'consultationId', 'appointmentAt', 'checkIn', 'pseudonymous', 'steps', 'checkingInMs', 'deviceCheck', 'visitorIdsRead'],
  lua: (k, a) => `
${RETENTION_OR_NOT_FOUND('retention', k.org)}
-- A room deleted meanwhile, or an organization whose contract ended (its links may be cached a while), takes no one.
if redis.call('EXISTS', ${k.room}) == 0 or redis.call('HEXISTS', ${k.org}, 'deletedAt') == 1 then return 'not_found' end
if ${a.consultationId} ~= '' then
  if not ${k.consultationVisitors} then return 'not_found' end
  ${CONSULTATION_MUST_BE_OPEN(k.consultation)}
  ${ONE_VISITOR_PER_LINK(k.consultationVisitors, 'consultationState', k.holder, a.visitorIdsRead)}
end
local now = tonumber(${a.now})
if ${a.pseudonymous} == '1' then
  if redis.call('HGET', ${k.accessCode}, 'roomId') ~= ${a.roomId} then return 'access_code_invalid' end
  redis.call('DEL', ${k.accessCode})
end
-- The organization's visitors by arrival (for an admin to find one: their data subject rights).
redis.call('ZADD', ${k.visitors}, now, ${a.visitorId})
${TRIM(k.visitors, 'now', 'retention')}
local checkingIn = ${a.steps} ~= ''
redis.call('HSET', ${k.visitor}, 'visitorId', ${a.visitorId}, 'roomId', ${a.roomId}, 'name', ${a.name}, 'tokenHash', ${a.tokenHash},
  'state', checkingIn and 'checking_in' or 'waiting', 'arrivedAt', ${a.now}, 'checkIn', ${a.checkIn})
if ${a.deviceCheck} ~= '' then redis.call('HSET', ${k.visitor}, 'deviceCheck', ${a.deviceCheck}) end
if ${a.consultationId} ~= '' then
  redis.call('HSET', ${k.visitor}, 'consultationId', ${a.consultationId}, 'appointmentAt', ${a.appointmentAt})
  -- In the order they came (a later one never sorts before an earlier one, even within a millisecond).
  local last = redis.call('ZRANGE', ${k.consultationVisitors}, -1, -1, 'WITHSCORES')
  local order = now
  if last[2] and tonumber(last[2]) >= now then order = tonumber(last[2]) + 1 end
  redis.call('ZADD', ${k.consultationVisitors}, order, ${a.visitorId})
  ${SETS_EXPIRE_WITH(k.consultation, [k.consultationVisitors])}
end
if checkingIn then
  -- Steps still to do (BankID, payment): known by the token, in no line, and gone soon if abandoned.
  redis.call('HSET', ${k.visitor}, 'steps', ${a.steps})
  redis.call('PEXPIRE', ${k.visitor}, math.min(retention, tonumber(${a.checkingInMs})))
  return 'ok'
end
${ENTER_LINE(k.visitor, k.waiting, a.visitorId, 'now', 'retention')}
return 'ok'
`,
  parse: oneOf('ok', 'not_found', 'access_code_invalid', 'visitors_changed', 'consultation_closed', 'link_in_use'),
});

/**
 * A visitor done with the room's check-in steps enters its line. `consultation`: theirs, for a visitor who
 * came with its link. `paymentConfirmed` '1' if the payment authorization was confirmed with the payment
 * provider. BankID is checked here (the verified identity is on the visitor's hash). A visitor whose
 * consultation was cancelled meanwhile leaves instead ('cancelled', as the cancellation does to those it
 * finds) and the answer is not_found.
 */
export const enterWaitingRoom = defineScript({
  name: 'enterWaitingRoom',
  keys: ['org', 'visitor', 'waiting', 'consultation?'],
  args: ['visitorId', 'now', 'paymentConfirmed'],
  lua: (k, a) => `
${RETENTION_OR_NOT_FOUND('retention', k.org)}
local now = tonumber(${a.now})
local state = redis.call('HGET', ${k.visitor}, 'state')
if not state then return 'not_found' end
if state ~= 'checking_in' then return 'not_waiting' end
local consultationId = redis.call('HGET', ${k.visitor}, 'consultationId')
if consultationId and consultationId ~= '' then
  -- The caller names the consultation's key; it must be this visitor's own.
  if not ${k.consultation} or string.sub(${k.consultation}, -#consultationId - 1) ~= ':' .. consultationId then return 'not_found' end
  if redis.call('HGET', ${k.consultation}, 'state') == 'cancelled' then
    redis.call('HSET', ${k.visitor}, 'state', 'left', 'leftAt', ${a.now}, 'leftReason', 'cancelled')
    return 'not_found'
  end
  ${CONSULTATION_MUST_BE_OPEN(k.consultation)}
end
local steps = ',' .. (redis.call('HGET', ${k.visitor}, 'steps') or '') .. ','
if string.find(steps, ',bankid,', 1, true) and redis.call('HEXISTS', ${k.visitor}, 'bankId') == 0 then return 'check_in_incomplete' end
if string.find(steps, ',payment,', 1, true) and ${a.paymentConfirmed} ~= '1' then return 'check_in_incomplete' end
redis.call('HSET', ${k.visitor}, 'state', 'waiting', 'arrivedAt', ${a.now})
${ENTER_LINE(k.visitor, k.waiting, a.visitorId, 'now', 'retention')}
return 'ok'
`,
  parse: oneOf('ok', 'not_found', 'not_waiting', 'check_in_incomplete'),
});

export const leaveWaitingRoom = defineScript({
  name: 'leaveWaitingRoom',
  keys: ['visitor', 'waiting', 'presence'],
  args: ['visitorId', 'now'],
  lua: (k, a) => `
local state = redis.call('HGET', ${k.visitor}, 'state')
if not state then return 'not_found' end
if state ~= 'waiting' and state ~= 'checking_in' then return 'not_waiting' end
redis.call('HSET', ${k.visitor}, 'state', 'left', 'leftAt', ${a.now})
redis.call('ZREM', ${k.waiting}, ${a.visitorId})
redis.call('ZREM', ${k.presence}, ${a.visitorId})
return 'ok'
`,
  parse: oneOf('ok', 'not_found', 'not_waiting'),
});

/** The shape of admit's answer when it admitted: what the others in line are told. */
export interface AdmitOutcome {
  line: string[];
  lengths: string[];
  professionals: number;
}

/**
 * Admits a waiting visitor into a new call, the admitting professional its host, who must belong to the
 * visitor's room (an admin may act on any: `role` 'admin'). Answers an error code, or what the others in
 * line are told: the line as it is now, the room's recent call lengths and how many professionals it has.
 */
export const admit = defineScript({
  name: 'admit',
  keys: ['org', 'visitor', 'waiting', 'call', 'history', 'presence', 'callMembers', 'roomMembers', 'roomCallLengths', 'visitorCalls', 'visitorSms'],
  args: ['visitorId', 'callId', 'professionalId', 'now', 'roomId', 'role'],
  lua: (k, a) => `
${RETENTION_OR_NOT_FOUND('retention', k.org)}
local now = tonumber(${a.now})
${MUST_BE_WAITING(k.visitor)}
-- Need to know, checked where it is acted on: a visitor of another room is as unknown as none.
if redis.call('HGET', ${k.visitor}, 'roomId') ~= ${a.roomId} then return 'not_found' end
if ${a.role} ~= 'admin' and redis.call('SISMEMBER', ${k.roomMembers}, ${a.professionalId}) == 0 then return 'not_found' end
-- A ready call's id is used once.
if redis.call('EXISTS', ${k.call}) == 1 then return 'not_found' end
local roomId = redis.call('HGET', ${k.visitor}, 'roomId')
redis.call('HSET', ${k.visitor}, 'state', 'in_call', 'callId', ${a.callId}, 'admittedAt', ${a.now})
redis.call('PEXPIRE', ${k.visitor}, retention)
${NOTE_CALL(k.visitorCalls, a.callId, 'retention')}
${SETS_EXPIRE_WITH(k.visitor, [k.visitorSms])}
redis.call('ZREM', ${k.waiting}, ${a.visitorId})
redis.call('ZREM', ${k.presence}, ${a.visitorId})
redis.call('HSET', ${k.call}, 'callId', ${a.callId}, 'visitorId', ${a.visitorId}, 'professionalId', ${a.professionalId}, 'roomId', roomId,
  'state', 'active', 'startedAt', ${a.now})
redis.call('PEXPIRE', ${k.call}, retention)
redis.call('SADD', ${k.callMembers}, 'professional:' .. ${a.professionalId}, 'visitor:' .. ${a.visitorId})
redis.call('PEXPIRE', ${k.callMembers}, retention)
redis.call('ZADD', ${k.history}, now, ${a.callId})
${TRIM(k.history, 'now', 'retention')}
return cjson.encode({ line = redis.call('ZRANGE', ${k.waiting}, 0, -1), lengths = redis.call('LRANGE', ${k.roomCallLengths}, 0, -1), professionals = redis.call('SCARD', ${k.roomMembers}) })
`,
  parse: (reply): { admitted: AdmitOutcome } | { refused: 'not_found' | 'not_waiting' | 'already_admitted' } => {
    if (typeof reply === 'string' && reply.startsWith('{')) {
      // (cjson writes an empty Lua table as {}, not [].)
      const decoded = JSON.parse(reply) as { line: string[] | object; lengths: string[] | object; professionals: number };
      const list = (v: string[] | object) => (Array.isArray(v) ? (v as string[]) : []);
      return { admitted: { line: list(decoded.line), lengths: list(decoded.lengths), professionals: decoded.professionals } };
    }
    return { refused: oneOf('not_found', 'not_waiting', 'already_admitted')(reply) };
  },
});

/** Admits a waiting visitor (an interpreter, a relative) into an ongoing call, if it has room for `maxParticipants`. */
export const admitToCall = defineScript({
  name: 'admitToCall',
  keys: ['org', 'visitor', 'waiting', 'call', 'callMembers', 'presence', 'visitorCalls', 'visitorSms'],
  args: ['visitorId', 'callId', 'now', 'maxParticipants'],
  lua: (k, a) => `
${RETENTION_OR_NOT_FOUND('retention', k.org)}
${MUST_BE_WAITING(k.visitor)}
local callState = redis.call('HGET', ${k.call}, 'state')
if not callState then return 'not_found' end
if callState ~= 'active' then return 'call_ended' end
if redis.call('SCARD', ${k.callMembers}) >= tonumber(${a.maxParticipants}) then return 'call_full' end
redis.call('HSET', ${k.visitor}, 'state', 'in_call', 'callId', ${a.callId}, 'admittedAt', ${a.now})
redis.call('PEXPIRE', ${k.visitor}, retention)
${NOTE_CALL(k.visitorCalls, a.callId, 'retention')}
${SETS_EXPIRE_WITH(k.visitor, [k.visitorSms])}
redis.call('ZREM', ${k.waiting}, ${a.visitorId})
redis.call('ZREM', ${k.presence}, ${a.visitorId})
redis.call('SADD', ${k.callMembers}, 'visitor:' .. ${a.visitorId})
return 'ok'
`,
  parse: oneOf('ok', 'not_found', 'not_waiting', 'already_admitted', 'call_ended', 'call_full'),
});

/**
 * The professional sends the visitor back to the waiting room from the call: waiting again in their room,
 * at their first arrival time (so first in line, as before).
 */
export const sendBack = defineScript({
  name: 'sendBack',
  keys: ['org', 'visitor', 'waiting', 'callMembers'],
  args: ['visitorId', 'callId', 'now'],
  lua: (k, a) => `
${RETENTION_OR_NOT_FOUND('retention', k.org)}
local now = tonumber(${a.now})
if redis.call('HGET', ${k.visitor}, 'state') ~= 'in_call' or redis.call('HGET', ${k.visitor}, 'callId') ~= ${a.callId} then return 'not_found' end
redis.call('HSET', ${k.visitor}, 'state', 'waiting')
redis.call('HDEL', ${k.visitor}, 'callId')
redis.call('SREM', ${k.callMembers}, 'visitor:' .. ${a.visitorId})
redis.call('ZADD', ${k.waiting}, tonumber(redis.call('HGET', ${k.visitor}, 'arrivedAt')), ${a.visitorId})
${TRIM(k.waiting, 'now', 'retention')}
return 'ok'
`,
  parse: oneOf('ok', 'not_found'),
});

/**
 * A waiting visitor's connection came or went; `deadline`: when the place is lost if nothing changes.
 * `tokenHash`: the hash of the token a connecting socket showed; then only that token's visitor is marked
 * (sent with the token's check, in one round trip).
 */
export const visitorPresence = defineScript({
  name: 'visitorPresence',
  keys: ['org', 'visitor', 'presence'],
  args: ['visitorId', 'presence', 'deadline', 'tokenHash?'],
  lua: (k, a) => `
${RETENTION_OR_NOT_FOUND('retention', k.org)}
if ${a.tokenHash} and ${a.tokenHash} ~= '' and redis.call('HGET', ${k.visitor}, 'tokenHash') ~= ${a.tokenHash} then return 'not_found' end
if redis.call('HGET', ${k.visitor}, 'state') ~= 'waiting' then return 'not_waiting' end
redis.call('HSET', ${k.visitor}, 'presence', ${a.presence})
redis.call('ZADD', ${k.presence}, ${a.deadline}, ${a.visitorId})
redis.call('PEXPIRE', ${k.presence}, retention)
return 'ok'
`,
  parse: oneOf('ok', 'not_found', 'not_waiting'),
});

/** The grace period passed with no connection: the visitor loses their place. */
export const dropVisitor = defineScript({
  name: 'dropVisitor',
  keys: ['visitor', 'waiting', 'presence'],
  args: ['visitorId', 'now'],
  lua: (k, a) => `
if redis.call('ZREM', ${k.presence}, ${a.visitorId}) == 0 then return 'not_found' end
if redis.call('HGET', ${k.visitor}, 'state') ~= 'waiting' then return 'not_waiting' end
redis.call('HSET', ${k.visitor}, 'state', 'left', 'leftAt', ${a.now}, 'leftReason', 'connection_lost')
redis.call('ZREM', ${k.waiting}, ${a.visitorId})
return 'ok'
`,
  parse: oneOf('ok', 'not_found', 'not_waiting'),
});

/** Turns a waiting visitor away; `message` ('' for none) is kept for them to read. */
export const denyVisitor = defineScript({
  name: 'denyVisitor',
  keys: ['visitor', 'waiting', 'presence'],
  args: ['visitorId', 'now', 'message'],
  lua: (k, a) => `
${MUST_BE_WAITING(k.visitor)}
redis.call('HSET', ${k.visitor}, 'state', 'left', 'leftAt', ${a.now}, 'leftReason', 'denied')
if ${a.message} ~= '' then redis.call('HSET', ${k.visitor}, 'deniedMessage', ${a.message}) end
redis.call('ZREM', ${k.waiting}, ${a.visitorId})
redis.call('ZREM', ${k.presence}, ${a.visitorId})
return 'ok'
`,
  parse: oneOf('ok', 'not_found', 'not_waiting', 'already_admitted'),
});

/** Moves a waiting visitor from one room's line to another's. */
export const transferVisitor = defineScript({
  name: 'transferVisitor',
  keys: ['org', 'visitor', 'fromWaiting', 'toWaiting'],
  args: ['visitorId', 'toRoomId', 'now'],
  lua: (k, a) => `
${RETENTION_OR_NOT_FOUND('retention', k.org)}
local now = tonumber(${a.now})
${MUST_BE_WAITING(k.visitor)}
-- Their place in the new line is by their first arrival: moving costs them no time.
local arrivedAt = tonumber(redis.call('HGET', ${k.visitor}, 'arrivedAt'))
redis.call('HSET', ${k.visitor}, 'roomId', ${a.toRoomId})
redis.call('ZREM', ${k.fromWaiting}, ${a.visitorId})
redis.call('ZADD', ${k.toWaiting}, arrivedAt, ${a.visitorId})
${TRIM(k.toWaiting, 'now', 'retention')}
return 'ok'
`,
  parse: oneOf('ok', 'not_found', 'not_waiting', 'already_admitted'),
});

export const WAITING_ROOM_SCRIPTS = [joinWaitingRoom, enterWaitingRoom, leaveWaitingRoom, admit, admitToCall, sendBack, visitorPresence, dropVisitor, denyVisitor, transferVisitor];
