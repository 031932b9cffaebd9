import type { Redis } from 'ioredis';
import { PAYMENT_SCRIPTS } from '../payments/payment-scripts.ts';
import { RETENTION_MS_OF } from './retention-lua.ts';
import { AUDIT_SCRIPTS } from '../audit/audit-scripts.ts';
import { EVENTS_SCRIPTS } from '../events/events-scripts.ts';
import { WEBHOOK_SCRIPTS } from '../webhooks/webhook-scripts.ts';
import { CONSULTATION_SCRIPTS } from '../consultations/consultation-scripts.ts';
import { KEY_ROTATION_SCRIPTS } from '../crypto/key-rotation.ts';
import { EMAIL_SCRIPTS } from '../email/email-scripts.ts';

/*
 * The state changes that touch several keys run as Lua scripts, so they are atomic: two professionals
 * admitting one visitor cannot both win, and a crash between two writes cannot leave half a call.
 * Every script reads the organization's retention itself and sets the TTL of every visitor/call key it
 * writes, and trims the indexes it writes by time.
 */

const RETENTION = `
local retention = ${RETENTION_MS_OF('KEYS[1]')}
if retention <= 0 then return 'not_found' end
`;

/**
 * The visitor (hash at `key`) must be waiting to be admitted, turned away or moved. Someone else being
 * quicker is said as such: the loser of a race hears `already_admitted`, not merely "not waiting".
 */
const MUST_BE_WAITING = (key: string) => `
local state = redis.call('HGET', ${key}, 'state')
if not state then return 'not_found' end
if state == 'in_call' then return 'already_admitted' end
if state ~= 'waiting' then return 'not_waiting' end
`;

/** Every call a visitor was admitted to, on their own record (for their export and their erasure). */
const NOTE_CALL = (visitorKey: string, callId: string) => `
redis.call('HSET', ${visitorKey}, 'callIds', (redis.call('HGET', ${visitorKey}, 'callIds') or '') .. ${callId} .. ',')
`;

const TRIM = (key: string) => `
redis.call('ZREMRANGEBYSCORE', ${key}, '-inf', '(' .. (now - retention))
redis.call('PEXPIRE', ${key}, retention)
`;

/**
 * Into the room's line at now: the visitor's data kept for the retention period from then (from the
 * appointment, for a scheduled visitor who comes early).
 */
const ENTER_LINE = (visitorKey: string, waitingKey: string, visitorId: string) => `
local from = now
local appointmentAt = tonumber(redis.call('HGET', ${visitorKey}, 'appointmentAt'))
if appointmentAt then from = math.max(now, appointmentAt) end
redis.call('PEXPIRE', ${visitorKey}, retention + (from - now))
redis.call('ZADD', ${waitingKey}, now, ${visitorId})
${TRIM(waitingKey)}
`;

/**
 * A scheduled consultation's visitor joins or enters its line only while the consultation still takes
 * visitors: its link was resolved a moment before, and a cancellation may have come in between. Checked
 * in the same step as the visitor is put in line, so a cancel and a check-in cannot cross.
 */
const CONSULTATION_MUST_BE_OPEN = (key: string) => `
local consultationState = redis.call('HGET', ${key}, 'state')
if not consultationState or consultationState == 'cancelled' then return 'not_found' end
`;

/**
 * A consultation's link checks in one visitor at a time: the last one who came with it (the last of its
 * visitorIds) holds it while checking in, waiting or in the call; after their call ended (or they were
 * turned away) the consultation is over and its link checks no one in. The caller names the holder's key
 * from the visitorIds it read; if a check-in landed since, nothing changes and it reads again
 * ('visitors_changed'), so two check-ins at once give one visitor.
 */
const ONE_VISITOR_PER_LINK = (consultationKey: string, holderKey: string, visitorIdsRead: string) => `
if (redis.call('HGET', ${consultationKey}, 'visitorIds') or '') ~= ${visitorIdsRead} then return 'visitors_changed' end
if consultationState == 'ended' then return 'consultation_closed' end
if ${holderKey} then
  local held = redis.call('HGET', ${holderKey}, 'state')
  if held == 'checking_in' or held == 'waiting' or held == 'in_call' then return 'link_in_use' end
  if held == 'ended' or (held == 'left' and redis.call('HGET', ${holderKey}, 'leftReason') == 'denied') then return 'consultation_closed' end
end
`;

/**
 * KEYS: org, visitor, waiting, room, access code, the organization's visitors, [the consultation, for a
 * visitor with its link, and the key of its last visitor if it had one]. ARGV: visitorId, roomId, name, tokenHash, now,
 * consultationId, appointmentAt ('' for a walk-in), the check-in answers as the queue card shows them
 * (JSON), '1' in a pseudonymous room (the access code is used up; the caller gave its label as the name), the
 * check-in steps still to do (comma separated; '' = none: straight into the line), how long (ms) a visitor
 * doing them is kept, what the device check found (JSON, or ''), the consultation's visitorIds as the caller
 * read them (see ONE_VISITOR_PER_LINK). A scheduled visitor's data is kept for the retention period from the later of now
 * and the appointment. A room deleted meanwhile takes no one, nor a consultation cancelled meanwhile; the
 * visitor is noted on the consultation in the same step (so a cancellation after it takes them out of line).
 */
const joinWaitingRoom = `
${RETENTION}
-- A room deleted meanwhile, or an organization whose contract ended (its links may be cached a while), takes no one.
if redis.call('EXISTS', KEYS[4]) == 0 or redis.call('HEXISTS', KEYS[1], 'deletedAt') == 1 then return 'not_found' end
if ARGV[6] ~= '' then
  if not KEYS[7] then return 'not_found' end
  ${CONSULTATION_MUST_BE_OPEN('KEYS[7]')}
  ${ONE_VISITOR_PER_LINK('KEYS[7]', 'KEYS[8]', 'ARGV[13]')}
end
local now = tonumber(ARGV[5])
local name = ARGV[3]
if ARGV[9] == '1' then
  if redis.call('HGET', KEYS[5], 'roomId') ~= ARGV[2] then return 'access_code_invalid' end
  redis.call('DEL', KEYS[5])
end
-- The organization's visitors by arrival (for an admin to find one: their data subject rights).
redis.call('ZADD', KEYS[6], now, ARGV[1])
${TRIM('KEYS[6]')}
local checkingIn = ARGV[10] ~= ''
redis.call('HSET', KEYS[2], 'visitorId', ARGV[1], 'roomId', ARGV[2], 'name', name, 'tokenHash', ARGV[4],
  'state', checkingIn and 'checking_in' or 'waiting', 'arrivedAt', ARGV[5], 'checkIn', ARGV[8])
if ARGV[12] ~= '' then redis.call('HSET', KEYS[2], 'deviceCheck', ARGV[12]) end
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[2], 'consultationId', ARGV[6], 'appointmentAt', ARGV[7])
  redis.call('HSET', KEYS[7], 'visitorIds', (redis.call('HGET', KEYS[7], 'visitorIds') or '') .. ARGV[1] .. ',')
end
if checkingIn then
  -- Steps still to do (BankID, payment): known by the token, in no line, and gone soon if abandoned.
  redis.call('HSET', KEYS[2], 'steps', ARGV[10])
  redis.call('PEXPIRE', KEYS[2], math.min(retention, tonumber(ARGV[11])))
  return 'ok'
end
${ENTER_LINE('KEYS[2]', 'KEYS[3]', 'ARGV[1]')}
return 'ok'
`;

/**
 * Admits a waiting visitor into a new call, the admitting professional its host, who must belong to the
 * visitor's room (an admin may act on any). KEYS: org, visitor, waiting, call, history, presence, call
 * members, room members, room call lengths. ARGV: visitorId, callId, professionalId, now, roomId,
 * 'admin'|'professional'. Answers an error code, or (JSON) what the others in line are told: the line as it
 * is now, the room's recent call lengths and how many professionals it has.
 */
const admit = `
${RETENTION}
local now = tonumber(ARGV[4])
${MUST_BE_WAITING('KEYS[2]')}
-- Need to know, checked where it is acted on: a visitor of another room is as unknown as none.
if redis.call('HGET', KEYS[2], 'roomId') ~= ARGV[5] then return 'not_found' end
if ARGV[6] ~= 'admin' and redis.call('SISMEMBER', KEYS[8], ARGV[3]) == 0 then return 'not_found' end
-- A ready call's id is used once.
if redis.call('EXISTS', KEYS[4]) == 1 then return 'not_found' end
local roomId = redis.call('HGET', KEYS[2], 'roomId')
redis.call('HSET', KEYS[2], 'state', 'in_call', 'callId', ARGV[2], 'admittedAt', ARGV[4])
${NOTE_CALL('KEYS[2]', 'ARGV[2]')}
redis.call('PEXPIRE', KEYS[2], retention)
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('HSET', KEYS[4], 'callId', ARGV[2], 'visitorId', ARGV[1], 'professionalId', ARGV[3], 'roomId', roomId,
  'state', 'active', 'startedAt', ARGV[4])
redis.call('PEXPIRE', KEYS[4], retention)
redis.call('SADD', KEYS[7], 'professional:' .. ARGV[3], 'visitor:' .. ARGV[1])
redis.call('PEXPIRE', KEYS[7], retention)
redis.call('ZADD', KEYS[5], now, ARGV[2])
${TRIM('KEYS[5]')}
return cjson.encode({ line = redis.call('ZRANGE', KEYS[3], 0, -1), lengths = redis.call('LRANGE', KEYS[9], 0, -1), professionals = redis.call('SCARD', KEYS[8]) })
`;

const CALL_MUST_BE_ACTIVE = (key: string) => `
local callState = redis.call('HGET', ${key}, 'state')
if not callState then return 'not_found' end
if callState ~= 'active' then return 'call_ended' end
`;

/**
 * Admits a waiting visitor (an interpreter, a relative) into an ongoing call. KEYS: org, visitor, waiting,
 * call, call members, presence. ARGV: visitorId, callId, now, most participants.
 */
const admitToCall = `
${RETENTION}
${MUST_BE_WAITING('KEYS[2]')}
${CALL_MUST_BE_ACTIVE('KEYS[4]')}
if redis.call('SCARD', KEYS[5]) >= tonumber(ARGV[4]) then return 'call_full' end
redis.call('HSET', KEYS[2], 'state', 'in_call', 'callId', ARGV[2], 'admittedAt', ARGV[3])
${NOTE_CALL('KEYS[2]', 'ARGV[2]')}
redis.call('PEXPIRE', KEYS[2], retention)
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('SADD', KEYS[5], 'visitor:' .. ARGV[1])
return 'ok'
`;

/**
 * Asks a colleague into an ongoing call; it shows in their history, and stays among their pending
 * invitations (with who asked, on the call's record) until they join or decline it or the call ends.
 * KEYS: org, call, call members, the colleague's history, the colleague's pending invitations. ARGV:
 * professionalId, callId, now, most participants, the asking professional's id.
 */
const inviteToCall = `
${RETENTION}
local now = tonumber(ARGV[3])
${CALL_MUST_BE_ACTIVE('KEYS[2]')}
local member = 'professional:' .. ARGV[1]
if redis.call('SISMEMBER', KEYS[3], member) == 1 then return 'ok' end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[4]) then return 'call_full' end
redis.call('SADD', KEYS[3], member)
redis.call('ZADD', KEYS[4], now, ARGV[2])
${TRIM('KEYS[4]')}
redis.call('HSET', KEYS[2], 'invitedBy:' .. ARGV[1], ARGV[5])
redis.call('ZADD', KEYS[5], now, ARGV[2])
${TRIM('KEYS[5]')}
return 'ok'
`;

/**
 * Takes back an ask into a call the colleague has not answered: they are no longer asked into it, and it
 * leaves their history (they never took part). KEYS: call, call members, the colleague's history, the
 * colleague's pending invitations. ARGV: professionalId, callId.
 */
const withdrawCallInvitation = `
${CALL_MUST_BE_ACTIVE('KEYS[1]')}
if redis.call('ZREM', KEYS[4], ARGV[2]) == 0 then return 'not_found' end
redis.call('SREM', KEYS[2], 'professional:' .. ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('HDEL', KEYS[1], 'invitedBy:' .. ARGV[1])
return 'ok'
`;

/**
 * Someone other than the host leaves a call (or declines to join it); a visitor's visit ends with it, a
 * professional's invitation to it (if still pending) goes. KEYS: call members, then the visitor's hash for
 * a visitor, or the professional's pending invitations. ARGV: member, callId, now. Answers how many are
 * left in the call.
 */
const leaveCall = `
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 'not_found' end
if KEYS[2] and string.sub(ARGV[1], 1, 13) == 'professional:' then
  redis.call('ZREM', KEYS[2], ARGV[2])
elseif KEYS[2] and redis.call('HGET', KEYS[2], 'callId') == ARGV[2] and redis.call('HGET', KEYS[2], 'state') == 'in_call' then
  redis.call('HSET', KEYS[2], 'state', 'ended', 'endedAt', ARGV[3])
end
return tostring(redis.call('SCARD', KEYS[1]))
`;

/** KEYS: visitor, waiting, presence. ARGV: visitorId, now. */
const leaveWaitingRoom = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'not_found' end
if state ~= 'waiting' and state ~= 'checking_in' then return 'not_waiting' end
redis.call('HSET', KEYS[1], 'state', 'left', 'leftAt', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 'ok'
`;

/**
 * Ends a call; its length joins its room's recent ones (for the wait estimate). KEYS: call, org, the
 * room's call lengths, then the hash of each visitor of the call, then the pending invitations of each
 * professional in it or asked into it. ARGV: now, how many lengths to keep, how many visitors' hashes.
 * Answers the visitors whose visit ended.
 */
const endCall = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'not_found' end
if state ~= 'active' then return 'call_ended' end
redis.call('HSET', KEYS[1], 'state', 'ended', 'endedAt', ARGV[1])
local callId = redis.call('HGET', KEYS[1], 'callId')
local retention = ${RETENTION_MS_OF('KEYS[2]')}
if retention > 0 then
  redis.call('LPUSH', KEYS[3], tonumber(ARGV[1]) - tonumber(redis.call('HGET', KEYS[1], 'startedAt')))
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[2]) - 1)
  redis.call('PEXPIRE', KEYS[3], retention)
end
-- The visitors' visits end with the call, unless they were sent back to wait (they are in no call then).
local ended = {}
local lastVisitor = 3 + tonumber(ARGV[3] or (#KEYS - 3))
for i = 4, lastVisitor do
  if redis.call('HGET', KEYS[i], 'callId') == callId and redis.call('HGET', KEYS[i], 'state') == 'in_call' then
    redis.call('HSET', KEYS[i], 'state', 'ended', 'endedAt', ARGV[1])
    table.insert(ended, redis.call('HGET', KEYS[i], 'visitorId'))
  end
end
-- An ended call is offered to no one any more.
for i = lastVisitor + 1, #KEYS do redis.call('ZREM', KEYS[i], callId) end
return ended
`;

/**
 * The professional sends the visitor back to the waiting room from the call: waiting again in their room,
 * at their first arrival time (so first in line, as before). KEYS: org, visitor, waiting, call members.
 * ARGV: visitorId, callId, now.
 */
const sendBack = `
${RETENTION}
local now = tonumber(ARGV[3])
if redis.call('HGET', KEYS[2], 'state') ~= 'in_call' or redis.call('HGET', KEYS[2], 'callId') ~= ARGV[2] then return 'not_found' end
redis.call('HSET', KEYS[2], 'state', 'waiting')
redis.call('HDEL', KEYS[2], 'callId')
redis.call('SREM', KEYS[4], 'visitor:' .. ARGV[1])
redis.call('ZADD', KEYS[3], tonumber(redis.call('HGET', KEYS[2], 'arrivedAt')), ARGV[1])
${TRIM('KEYS[3]')}
return 'ok'
`;

/**
 * A waiting visitor's connection came or went. KEYS: org, visitor, presence. ARGV: visitorId,
 * 'online'|'lost', deadline (when the place is lost if nothing changes), and optionally the hash of the
 * token a connecting socket showed: then only that token's visitor is marked (sent with the token's check).
 */
const visitorPresence = `
${RETENTION}
if ARGV[4] and ARGV[4] ~= '' and redis.call('HGET', KEYS[2], 'tokenHash') ~= ARGV[4] then return 'not_found' end
if redis.call('HGET', KEYS[2], 'state') ~= 'waiting' then return 'not_waiting' end
redis.call('HSET', KEYS[2], 'presence', ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[3], retention)
return 'ok'
`;

/**
 * The grace period passed with no connection: the visitor loses their place. KEYS: visitor, waiting,
 * presence. ARGV: visitorId, now.
 */
const dropVisitor = `
if redis.call('ZREM', KEYS[3], ARGV[1]) == 0 then return 'not_found' end
if redis.call('HGET', KEYS[1], 'state') ~= 'waiting' then return 'not_waiting' end
redis.call('HSET', KEYS[1], 'state', 'left', 'leftAt', ARGV[2], 'leftReason', 'connection_lost')
redis.call('ZREM', KEYS[2], ARGV[1])
return 'ok'
`;

/** KEYS: visitor, waiting, presence. ARGV: visitorId, now, message ('' for none). */
const denyVisitor = `
${MUST_BE_WAITING('KEYS[1]')}
redis.call('HSET', KEYS[1], 'state', 'left', 'leftAt', ARGV[2], 'leftReason', 'denied')
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'deniedMessage', ARGV[3]) end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 'ok'
`;

/** KEYS: org, visitor, from waiting, to waiting. ARGV: visitorId, toRoomId, now. */
const transferVisitor = `
${RETENTION}
local now = tonumber(ARGV[3])
${MUST_BE_WAITING('KEYS[2]')}
-- Their place in the new line is by their first arrival: moving costs them no time.
local arrivedAt = tonumber(redis.call('HGET', KEYS[2], 'arrivedAt'))
redis.call('HSET', KEYS[2], 'roomId', ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], arrivedAt, ARGV[1])
${TRIM('KEYS[4]')}
return 'ok'
`;

/**
 * Adds to a capped list about a visitor or a call (newest first), kept for the organization's retention
 * period. KEYS: org, list. ARGV: value, how many to keep.
 */
const pushRetained = `
${RETENTION}
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[2], retention)
return 'ok'
`;

/**
 * Notes a member of a sorted set about visitors (scored by time), kept for the organization's retention
 * period and `ARGV[3]` ms more (so the purge job, which trims it by score, sees each member once its
 * retention has passed). KEYS: org, sorted set. ARGV: member, score, margin (ms).
 */
const noteRetained = `
${RETENTION}
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], retention + tonumber(ARGV[3]))
return 'ok'
`;

/** Sets a field of a hash only if the hash still exists (a write must not bring back an expired record without its TTL). KEYS: hash. ARGV: field, value. */
const setIfExists = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 'ok'
`;

/** One attempt against a fixed-window limit: answers the count so far. KEYS: counter. ARGV: window (ms). */
/**
 * A visitor done with the room's check-in steps enters its line. KEYS: org, visitor, waiting, [their
 * consultation, for a visitor who came with its link]. ARGV: visitorId, now, '1' if the payment
 * authorization was confirmed with the payment provider. BankID is checked here (the verified identity is
 * on the visitor's hash). A visitor whose consultation was cancelled meanwhile leaves instead ('cancelled',
 * as the cancellation does to those it finds) and the answer is not_found.
 */
const enterWaitingRoom = `
${RETENTION}
local now = tonumber(ARGV[2])
local state = redis.call('HGET', KEYS[2], 'state')
if not state then return 'not_found' end
if state ~= 'checking_in' then return 'not_waiting' end
local consultationId = redis.call('HGET', KEYS[2], 'consultationId')
if consultationId and consultationId ~= '' then
  -- The caller names the consultation's key; it must be this visitor's own.
  if not KEYS[4] or string.sub(KEYS[4], -#consultationId - 1) ~= ':' .. consultationId then return 'not_found' end
  if redis.call('HGET', KEYS[4], 'state') == 'cancelled' then
    redis.call('HSET', KEYS[2], 'state', 'left', 'leftAt', ARGV[2], 'leftReason', 'cancelled')
    return 'not_found'
  end
  ${CONSULTATION_MUST_BE_OPEN('KEYS[4]')}
end
local steps = ',' .. (redis.call('HGET', KEYS[2], 'steps') or '') .. ','
if string.find(steps, ',bankid,', 1, true) and redis.call('HEXISTS', KEYS[2], 'bankId') == 0 then return 'check_in_incomplete' end
if string.find(steps, ',payment,', 1, true) and ARGV[3] ~= '1' then return 'check_in_incomplete' end
redis.call('HSET', KEYS[2], 'state', 'waiting', 'arrivedAt', ARGV[2])
${ENTER_LINE('KEYS[2]', 'KEYS[3]', 'ARGV[1]')}
return 'ok'
`;

/** Releases a lock only if this holder still has it (it may have expired and been taken by another). KEYS: lock. ARGV: holder. */
const releaseLock = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 'ok'
`;

/** Appends to a comma-separated field of a hash that exists (a record gone stays gone). KEYS: hash. ARGV: field, value. */
const appendToField = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
redis.call('HSET', KEYS[1], ARGV[1], (redis.call('HGET', KEYS[1], ARGV[1]) or '') .. ARGV[2] .. ',')
return 'ok'
`;

const countAttempt = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;

/**
 * A visitor's identity verified with BankID, kept only while they are still checking in (a visitor who
 * left or expired meanwhile gets nothing). The hash keeps its TTL. KEYS: visitor. ARGV: the identity
 * (JSON), the national id as field-cipher ciphertext or '' (then any earlier one goes).
 */
const storeVerifiedIdentity = `
if redis.call('HGET', KEYS[1], 'state') ~= 'checking_in' then return 'not_found' end
redis.call('HSET', KEYS[1], 'bankId', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'nationalId', ARGV[2]) else redis.call('HDEL', KEYS[1], 'nationalId') end
return 'ok'
`;

const SCRIPTS = {
  storeVerifiedIdentity: { keys: 1, lua: storeVerifiedIdentity },
  countAttempt: { keys: 1, lua: countAttempt },
  appendToField: { keys: 1, lua: appendToField },
  releaseLock: { keys: 1, lua: releaseLock },
  setIfExists: { keys: 1, lua: setIfExists },
  pushRetained: { keys: 2, lua: pushRetained },
  noteRetained: { keys: 2, lua: noteRetained },
  sendBack: { keys: 4, lua: sendBack },
  admitToCall: { keys: 6, lua: admitToCall },
  inviteToCall: { keys: 5, lua: inviteToCall },
  withdrawCallInvitation: { keys: 4, lua: withdrawCallInvitation },
  leaveCall: { keys: 'variable', lua: leaveCall },
  denyVisitor: { keys: 3, lua: denyVisitor },
  transferVisitor: { keys: 4, lua: transferVisitor },
  visitorPresence: { keys: 3, lua: visitorPresence },
  dropVisitor: { keys: 3, lua: dropVisitor },
  joinWaitingRoom: { keys: 'variable', lua: joinWaitingRoom },
  enterWaitingRoom: { keys: 'variable', lua: enterWaitingRoom },
  admit: { keys: 9, lua: admit },
  leaveWaitingRoom: { keys: 3, lua: leaveWaitingRoom },
  endCall: { keys: 'variable', lua: endCall },
  ...PAYMENT_SCRIPTS,
  ...AUDIT_SCRIPTS,
  ...EVENTS_SCRIPTS,
  ...WEBHOOK_SCRIPTS,
  ...CONSULTATION_SCRIPTS,
  ...KEY_ROTATION_SCRIPTS,
  ...EMAIL_SCRIPTS,
} as const satisfies Record<string, { keys: number | 'variable'; lua: string }>;

export type ScriptName = keyof typeof SCRIPTS;
/** Each script answers 'ok' or an error code from the protocol. */
export type ScriptResult = 'ok' | 'access_code_invalid' | 'check_in_incomplete' | 'not_found' | 'not_waiting' | 'already_admitted' | 'call_ended' | 'call_full';

export function defineScripts(redis: Redis): void {
  for (const [name, { keys, lua }] of Object.entries(SCRIPTS)) {
    // A script with a variable number of keys is given the count first at each call.
    redis.defineCommand(name, keys === 'variable' ? { lua } : { numberOfKeys: keys, lua });
  }
}

export async function runScript(
  redis: Redis,
  name: ScriptName,
  keys: string[],
  args: (string | number)[],
): Promise<ScriptResult> {
  const expected: number | 'variable' = SCRIPTS[name].keys;
  const command = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<ScriptResult>>)[name]!;
  if (expected === 'variable') return command.call(redis, keys.length, ...keys, ...args);
  if (keys.length !== expected) throw new Error(`${name} takes ${expected} keys`);
  return command.call(redis, ...keys, ...args);
}
