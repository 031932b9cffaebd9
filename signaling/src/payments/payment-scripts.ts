import { defineScript, oneOf, text, unexpectedReply } from '../redis/lua-script.ts';
import { RETENTION_MS_OF } from '../redis/retention-lua.ts';
/*
 * The payment records' transitions, atomic in Redis, run by PaymentService.
 * Two records per payment, both under the organization's hash tag:
 * - the visitor's payment (`payment:<visitorId>`): the link from the visit to its Stripe intent and the
 *   settle decision; it expires with the visitor (an abandoned check-in's soon, then the retention period);
 * - the bookkeeping record (`transaction:<paymentId>`): amounts, Stripe id, dates, status; no name, no phone,
 *   no visitor; kept until the end of the payment's financial year plus the bookkeeping period.
 */

/**
 * The visitor's payment, made once (later calls read it), with `paymentId` a new id. Only for a visitor
 * still checking in.
 */
export const reservePayment = defineScript({
  name: 'reservePayment',
  keys: ['visitor', 'payment'],
  args: ['paymentId', 'amount', 'currency', 'now'],
  lua: (k, a) => `
if redis.call('HGET', ${k.visitor}, 'state') ~= 'checking_in' then return 'not_found' end
local ttl = redis.call('PTTL', ${k.visitor})
if ttl <= 0 then return 'not_found' end
if redis.call('EXISTS', ${k.payment}) == 0 then
  redis.call('HSET', ${k.payment}, 'paymentId', ${a.paymentId}, 'amount', ${a.amount}, 'currency', ${a.currency}, 'status', 'pending', 'createdAt', ${a.now})
  redis.call('PEXPIRE', ${k.payment}, ttl)
end
local p = redis.call('HMGET', ${k.payment}, 'paymentId', 'intentId', 'amount', 'currency')
return cjson.encode({ paymentId = p[1], intentId = p[2] or '', amount = tonumber(p[3]), currency = p[4] })
`,
  parse: (reply): 'not_found' | { paymentId: string; intentId: string; amount: number; currency: string } => {
    if (reply === 'not_found') return reply;
    if (typeof reply === 'string' && reply.startsWith('{')) return JSON.parse(reply) as { paymentId: string; intentId: string; amount: number; currency: string };
    throw unexpectedReply(reply);
  },
});

/**
 * The Stripe intent of a payment is known: the visitor's payment links to it, and the bookkeeping record
 * starts (once), expiring at `expiresAt` (ms since the epoch).
 */
export const recordIntent = defineScript({
  name: 'recordIntent',
  keys: ['payment', 'transaction', 'transactions'],
  args: ['paymentId', 'intentId', 'amount', 'currency', 'now', 'expiresAt'],
  lua: (k, a) => `
if redis.call('EXISTS', ${k.payment}) == 1 then redis.call('HSET', ${k.payment}, 'intentId', ${a.intentId}) end
if redis.call('EXISTS', ${k.transaction}) == 0 then
  redis.call('HSET', ${k.transaction}, 'paymentId', ${a.paymentId}, 'stripeId', ${a.intentId}, 'amount', ${a.amount}, 'currency', ${a.currency},
    'status', 'pending', 'createdAt', ${a.now}, 'updatedAt', ${a.now}, 'capturedAmount', 0, 'refundedAmount', 0)
  redis.call('PEXPIREAT', ${k.transaction}, ${a.expiresAt})
  redis.call('ZADD', ${k.transactions}, ${a.expiresAt}, ${a.paymentId})
end
local now = tonumber(${a.now})
redis.call('ZREMRANGEBYSCORE', ${k.transactions}, '-inf', now)
local last = redis.call('ZRANGE', ${k.transactions}, -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', ${k.transactions}, last[2]) end
return 'ok'
`,
  parse: oneOf('ok'),
});

/**
 * A payment's status moves forward only, whatever order the news comes in (our own calls, Stripe's events
 * and their retries): a late "authorized" after "captured" changes nothing; amounts only grow. A refund
 * makes it partially_refunded or refunded. `payment`: the visitor's (may be gone); `event`: the Stripe
 * event's key, applied once (`eventTtl` '0' when not from an event, else how long the key is kept).
 */
export const advancePayment = defineScript({
  name: 'advancePayment',
  keys: ['transaction', 'payment', 'event'],
  args: ['status', 'captured', 'refunded', 'now', 'eventTtl'],
  lua: (k, a) => `
local eventTtl = tonumber(${a.eventTtl})
if eventTtl > 0 and redis.call('EXISTS', ${k.event}) == 1 then return 'duplicate' end
if redis.call('EXISTS', ${k.transaction}) == 0 then return 'not_found' end
local rank = { pending = 0, authorized = 1, captured = 2, released = 2, partially_refunded = 3, refunded = 4 }
local current = redis.call('HGET', ${k.transaction}, 'status')
local status = current
if rank[${a.status}] > rank[current] then status = ${a.status} end
local captured = math.max(tonumber(redis.call('HGET', ${k.transaction}, 'capturedAmount')), tonumber(${a.captured}))
local refunded = math.max(tonumber(redis.call('HGET', ${k.transaction}, 'refundedAmount')), tonumber(${a.refunded}))
if refunded > 0 and status ~= 'released' then
  if refunded >= captured then status = 'refunded' else status = 'partially_refunded' end
end
redis.call('HSET', ${k.transaction}, 'status', status, 'capturedAmount', captured, 'refundedAmount', refunded, 'updatedAt', ${a.now})
if status ~= current then redis.call('HSET', ${k.transaction}, status .. 'At', ${a.now}) end
if redis.call('EXISTS', ${k.payment}) == 1 then redis.call('HSET', ${k.payment}, 'status', status) end
if eventTtl > 0 then redis.call('SET', ${k.event}, '1', 'PX', eventTtl) end
return 'ok'
`,
  parse: oneOf('ok', 'duplicate', 'not_found'),
});

/**
 * Decides once how a visit's payment ends: the first decision ('capture' or 'release') stands, however
 * many processes ask and in whatever order. Then, unless it is done, a short lease (`leaseMs`) so only one
 * of them talks to Stripe at a time (a crashed holder's lease runs out and the next call carries on).
 * Answers 'none', or '<go|busy|done>:<decision>'.
 */
export const claimSettlement = defineScript({
  name: 'claimSettlement',
  keys: ['payment'],
  args: ['decision', 'now', 'leaseMs'],
  lua: (k, a) => `
if redis.call('EXISTS', ${k.payment}) == 0 then return 'none' end
redis.call('HSETNX', ${k.payment}, 'settlement', ${a.decision})
local decision = redis.call('HGET', ${k.payment}, 'settlement')
if redis.call('HGET', ${k.payment}, 'settled') == '1' then return 'done:' .. decision end
local now = tonumber(${a.now})
if tonumber(redis.call('HGET', ${k.payment}, 'lease') or '0') > now then return 'busy:' .. decision end
redis.call('HSET', ${k.payment}, 'lease', now + tonumber(${a.leaseMs}))
return 'go:' .. decision
`,
  parse: (reply): 'none' | { step: 'go' | 'busy' | 'done'; decision: 'capture' | 'release' } => {
    if (reply === 'none') return reply;
    const m = /^(go|busy|done):(capture|release)$/.exec(text(reply));
    if (!m) throw unexpectedReply(reply);
    return { step: m[1] as 'go' | 'busy' | 'done', decision: m[2] as 'capture' | 'release' };
  },
});

/**
 * The visitor's payment is kept as long as their visit: from the moment they are in line (the card
 * authorized) and again when their visit ends, for the organization's retention period, as the visitor's
 * own record is.
 */
export const retainPayment = defineScript({
  name: 'retainPayment',
  keys: ['org', 'payment'],
  args: [],
  lua: (k) => `
local retention = ${RETENTION_MS_OF(k.org)}
if retention <= 0 or redis.call('EXISTS', ${k.payment}) == 0 then return 'not_found' end
redis.call('PEXPIRE', ${k.payment}, retention)
return 'ok'
`,
  parse: oneOf('ok', 'not_found'),
});

/** A short lease (`leaseMs`) on a record that exists (one refund of a payment at a time). */
export const takeLease = defineScript({
  name: 'takeLease',
  keys: ['record'],
  args: ['now', 'leaseMs'],
  lua: (k, a) => `
if redis.call('EXISTS', ${k.record}) == 0 then return 'not_found' end
local now = tonumber(${a.now})
if tonumber(redis.call('HGET', ${k.record}, 'lease') or '0') > now then return 'busy' end
redis.call('HSET', ${k.record}, 'lease', now + tonumber(${a.leaseMs}))
return 'ok'
`,
  parse: oneOf('ok', 'busy', 'not_found'),
});

export const PAYMENT_SCRIPTS = [reservePayment, recordIntent, advancePayment, claimSettlement, retainPayment, takeLease];
