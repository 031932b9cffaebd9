import { RETENTION_MS_OF } from '../redis/retention-lua.ts';
/*
 * The payment records' transitions, atomic in Redis (registered with the other scripts in scripts.ts).
 * Two records per payment, both under the organization's hash tag:
 * - the visitor's payment (`payment:<visitorId>`): the link from the visit to its Stripe intent and the
 *   settle decision; it expires with the visitor (an abandoned check-in's soon, then the retention period);
 * - the bookkeeping record (`transaction:<paymentId>`): amounts, Stripe id, dates, status; no name, no phone,
 *   no visitor; kept until the end of the payment's financial year plus the bookkeeping period.
 */

/**
 * The visitor's payment, made once (later calls read it). Only for a visitor still checking in. KEYS:
 * visitor, payment. ARGV: a new payment id, amount, currency, now. Answers JSON {paymentId, intentId,
 * amount, currency} or 'not_found'.
 */
const reservePayment = `
if redis.call('HGET', KEYS[1], 'state') ~= 'checking_in' then return 'not_found' end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 'not_found' end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], 'paymentId', ARGV[1], 'amount', ARGV[2], 'currency', ARGV[3], 'status', 'pending', 'createdAt', ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ttl)
end
local p = redis.call('HMGET', KEYS[2], 'paymentId', 'intentId', 'amount', 'currency')
return cjson.encode({ paymentId = p[1], intentId = p[2] or '', amount = tonumber(p[3]), currency = p[4] })
`;

/**
 * The Stripe intent of a payment is known: the visitor's payment links to it, and the bookkeeping record
 * starts (once). KEYS: payment, transaction, transactions index. ARGV: paymentId, intentId, amount,
 * currency, now, when the bookkeeping record expires (ms since the epoch).
 */
const recordIntent = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'intentId', ARGV[2]) end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], 'paymentId', ARGV[1], 'stripeId', ARGV[2], 'amount', ARGV[3], 'currency', ARGV[4],
    'status', 'pending', 'createdAt', ARGV[5], 'updatedAt', ARGV[5], 'capturedAmount', 0, 'refundedAmount', 0)
  redis.call('PEXPIREAT', KEYS[2], ARGV[6])
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
end
local now = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[3], last[2]) end
return 'ok'
`;

/**
 * A payment's status moves forward only, whatever order the news comes in (our own calls, Stripe's events
 * and their retries): a late "authorized" after "captured" changes nothing; amounts only grow. A refund
 * makes it partially_refunded or refunded. KEYS: transaction, the visitor's payment (may be gone), the
 * Stripe event's key (applied once; ARGV[5] '0' when not from an event). ARGV: status, captured amount,
 * refunded amount, now, the event key's TTL (ms). Answers 'ok', 'duplicate' or 'not_found'.
 */
const advancePayment = `
local eventTtl = tonumber(ARGV[5])
if eventTtl > 0 and redis.call('EXISTS', KEYS[3]) == 1 then return 'duplicate' end
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
local rank = { pending = 0, authorized = 1, captured = 2, released = 2, partially_refunded = 3, refunded = 4 }
local current = redis.call('HGET', KEYS[1], 'status')
local status = current
if rank[ARGV[1]] > rank[current] then status = ARGV[1] end
local captured = math.max(tonumber(redis.call('HGET', KEYS[1], 'capturedAmount')), tonumber(ARGV[2]))
local refunded = math.max(tonumber(redis.call('HGET', KEYS[1], 'refundedAmount')), tonumber(ARGV[3]))
if refunded > 0 and status ~= 'released' then
  if refunded >= captured then status = 'refunded' else status = 'partially_refunded' end
end
redis.call('HSET', KEYS[1], 'status', status, 'capturedAmount', captured, 'refundedAmount', refunded, 'updatedAt', ARGV[4])
if status ~= current then redis.call('HSET', KEYS[1], status .. 'At', ARGV[4]) end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HSET', KEYS[2], 'status', status) end
if eventTtl > 0 then redis.call('SET', KEYS[3], '1', 'PX', eventTtl) end
return 'ok'
`;

/**
 * Decides once how a visit's payment ends: the first decision ('capture' or 'release') stands, however
 * many processes ask and in whatever order. Then, unless it is done, a short lease so only one of
 * them talks to Stripe at a time (a crashed holder's lease runs out and the next call carries on).
 * KEYS: payment. ARGV: decision, now, lease (ms). Answers 'none', or '<go|busy|done>:<decision>'.
 */
const claimSettlement = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'none' end
redis.call('HSETNX', KEYS[1], 'settlement', ARGV[1])
local decision = redis.call('HGET', KEYS[1], 'settlement')
if redis.call('HGET', KEYS[1], 'settled') == '1' then return 'done:' .. decision end
local now = tonumber(ARGV[2])
if tonumber(redis.call('HGET', KEYS[1], 'lease') or '0') > now then return 'busy:' .. decision end
redis.call('HSET', KEYS[1], 'lease', now + tonumber(ARGV[3]))
return 'go:' .. decision
`;

/**
 * The visitor's payment is kept as long as their visit: from the moment they are in line (the card
 * authorized) and again when their visit ends, for the organization's retention period, as the visitor's
 * own record is. KEYS: org, payment.
 */
const retainPayment = `
local retention = ${RETENTION_MS_OF('KEYS[1]')}
if retention <= 0 or redis.call('EXISTS', KEYS[2]) == 0 then return 'not_found' end
redis.call('PEXPIRE', KEYS[2], retention)
return 'ok'
`;

/**
 * A short lease on a record that exists (one refund of a payment at a time). KEYS: hash. ARGV: now, lease
 * (ms). Answers 'ok', 'busy' or 'not_found'.
 */
const takeLease = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
local now = tonumber(ARGV[1])
if tonumber(redis.call('HGET', KEYS[1], 'lease') or '0') > now then return 'busy' end
redis.call('HSET', KEYS[1], 'lease', now + tonumber(ARGV[2]))
return 'ok'
`;

export const PAYMENT_SCRIPTS = {
  reservePayment: { keys: 2, lua: reservePayment },
  recordIntent: { keys: 3, lua: recordIntent },
  advancePayment: { keys: 3, lua: advancePayment },
  claimSettlement: { keys: 1, lua: claimSettlement },
  takeLease: { keys: 1, lua: takeLease },
  retainPayment: { keys: 2, lua: retainPayment },
} as const;
