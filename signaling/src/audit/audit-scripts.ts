import { defineScript, integer, text } from '../redis/lua-script.ts';

/*
 * The audit chain's transitions, atomic in Redis, run by AuditLog and the key rotation. Each
 * entry carries `prev`, the hash of the entry before it, and `hash`, its own. Both are computed here, in
 * the script, from the chain's head as it is at that moment: writers in several processes cannot fork the
 * chain, and a write costs one round trip. Redis' Lua has no SHA-256, so it is written out below (Lua 5.1
 * with the `bit` library Redis ships); chain-hash.ts computes the same bytes in Node for verification.
 */

/** The `prev` of an organization's first entry. */
export const GENESIS = '0'.repeat(64);

/** The stream fields an entry may have, in the order they are hashed (`hash` itself excluded). */
export const HASHED_FIELDS = ['actor', 'action', 'target', 'session', 'addr', 'detail', 'prev'] as const;

const SHA256 = `
local band, bor, bxor, bnot, rshift, lshift, ror, tobit, tohex = bit.band, bit.bor, bit.bxor, bit.bnot, bit.rshift, bit.lshift, bit.ror, bit.tobit, bit.tohex
local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}
local function sha256(msg)
  local H = { tobit(0x6a09e667), tobit(0xbb67ae85), tobit(0x3c6ef372), tobit(0xa54ff53a),
              tobit(0x510e527f), tobit(0x9b05688c), tobit(0x1f83d9ab), tobit(0x5be0cd19) }
  local len = #msg
  local bits = len * 8
  local hi, lo = math.floor(bits / 4294967296), bits % 4294967296
  msg = msg .. '\\128' .. string.rep('\\0', (55 - len) % 64) .. string.char(
    math.floor(hi / 16777216) % 256, math.floor(hi / 65536) % 256, math.floor(hi / 256) % 256, hi % 256,
    math.floor(lo / 16777216) % 256, math.floor(lo / 65536) % 256, math.floor(lo / 256) % 256, lo % 256)
  local w = {}
  for chunk = 1, #msg, 64 do
    for i = 0, 15 do
      local a, b, c, d = string.byte(msg, chunk + i * 4, chunk + i * 4 + 3)
      w[i] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
    end
    for i = 16, 63 do
      local v15, v2 = w[i - 15], w[i - 2]
      local s0 = bxor(ror(v15, 7), ror(v15, 18), rshift(v15, 3))
      local s1 = bxor(ror(v2, 17), ror(v2, 19), rshift(v2, 10))
      w[i] = tobit(w[i - 16] + s0 + w[i - 7] + s1)
    end
    local a, b, c, d, e, f, g, h = H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]
    for i = 0, 63 do
      local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
      local ch = bxor(band(e, f), band(bnot(e), g))
      local t1 = tobit(h + S1 + ch + K[i + 1] + w[i])
      local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
      local maj = bxor(band(a, b), band(a, c), band(b, c))
      local t2 = tobit(S0 + maj)
      h, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + t2)
    end
    H[1], H[2], H[3], H[4] = tobit(H[1] + a), tobit(H[2] + b), tobit(H[3] + c), tobit(H[4] + d)
    H[5], H[6], H[7], H[8] = tobit(H[5] + e), tobit(H[6] + f), tobit(H[7] + g), tobit(H[8] + h)
  end
  local out = {}
  for i = 1, 8 do out[i] = tohex(H[i], 8) end
  return table.concat(out)
end

-- What is hashed: a version, the entry's id, then each field as <byte length>:<value> (absent = empty).
local HASHED = { ${HASHED_FIELDS.map((f) => `'${f}'`).join(', ')} }
local function entryHash(id, fields)
  local parts = { 'audit1', id }
  for _, name in ipairs(HASHED) do
    local v = fields[name] or ''
    parts[#parts + 1] = #v .. ':' .. v
  end
  return sha256(table.concat(parts, '\\n'))
end
`;

/*
 * Declares append(values), which appends an entry to `stream` after the head in `head`; `values` are actor, action, target,
 * session, addr, detail ('' = absent). The id is made here (as XADD * would: the server's clock, never
 * below the last id), so that the entry's own hash, which covers its id, can be stored in it. Answers the id.
 */
const APPEND = (stream: string, head: string) => `
local function append(values)
  local head = redis.call('HMGET', ${head}, 'id', 'hash')
  local prev = head[2] or '${GENESIS}'
  local t = redis.call('TIME')
  local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local id = string.format('%.0f', ms) .. '-0'
  if head[1] then
    local lastMs, lastSeq = string.match(head[1], '^(%d+)%-(%d+)$')
    if tonumber(lastMs) >= ms then id = lastMs .. '-' .. string.format('%.0f', tonumber(lastSeq) + 1) end
  end
  local fields = { actor = values[1], action = values[2], prev = prev }
  local args = { 'actor', values[1], 'action', values[2] }
  local optional = { 'target', 'session', 'addr', 'detail' }
  for i, name in ipairs(optional) do
    local v = values[i + 2]
    if v ~= '' then
      fields[name] = v
      args[#args + 1] = name
      args[#args + 1] = v
    end
  end
  local hash = entryHash(id, fields)
  args[#args + 1] = 'prev'
  args[#args + 1] = prev
  args[#args + 1] = 'hash'
  args[#args + 1] = hash
  redis.call('XADD', ${stream}, id, unpack(args))
  redis.call('HSET', ${head}, 'id', id, 'hash', hash)
  return id
end
`;

/**
 * Appends an entry: actor, action, target, session, addr, detail ('' = absent), then `addressCopy` the
 * sealed copy of the address. `addr` is the address's commitment (audit-addresses.ts), which the chain
 * covers; the sealed copy goes to the organization's addresses hash under that commitment, in the same
 * step, so an entry is never without its address nor an address without its entry. Answers the entry's id.
 */
export const appendAudit = defineScript({
  name: 'appendAudit',
  keys: ['stream', 'head', 'addresses'],
  args: ['actor', 'action', 'target', 'session', 'addr', 'detail', 'addressCopy?'],
  lua: (k, a) => `
${SHA256}
${APPEND(k.stream, k.head)}
local id = append({ ${a.actor}, ${a.action}, ${a.target}, ${a.session}, ${a.addr}, ${a.detail} })
if ${a.addr} ~= '' and ${a.addressCopy} and ${a.addressCopy} ~= '' then redis.call('HSET', ${k.addresses}, ${a.addr}, ${a.addressCopy}) end
return id
`,
  parse: text,
});

/**
 * Removes the entries older than `minId` (a stream id), keeping as the checkpoint the id and hash of the
 * last one removed (its hash recomputed from what it holds, not taken from anything an editor could have
 * set), so the chain still verifies from there. The sealed copies of their addresses go with them (kept
 * under the commitment, or under the entry's id for an address re-sealed by a key rotation). Answers how
 * many went.
 */
export const trimAudit = defineScript({
  name: 'trimAudit',
  keys: ['stream', 'checkpoint', 'addresses'],
  args: ['minId'],
  lua: (k, a) => `
${SHA256}
local last = redis.call('XREVRANGE', ${k.stream}, '(' .. ${a.minId}, '-', 'COUNT', 1)
if #last == 0 then return 0 end
local id, flat = last[1][1], last[1][2]
local fields = {}
for i = 1, #flat, 2 do fields[flat[i]] = flat[i + 1] end
redis.call('HSET', ${k.checkpoint}, 'id', id, 'hash', entryHash(id, fields))
local start = '-'
while true do
  local page = redis.call('XRANGE', ${k.stream}, start, '(' .. ${a.minId}, 'COUNT', 500)
  for _, entry in ipairs(page) do
    local e = entry[2]
    for i = 1, #e, 2 do
      if e[i] == 'addr' then
        if string.sub(e[i + 1], 1, 3) == 'c1:' then redis.call('HDEL', ${k.addresses}, e[i + 1]) else redis.call('HDEL', ${k.addresses}, entry[1]) end
      end
    end
    start = '(' .. entry[1]
  end
  if #page < 500 then break end
end
return redis.call('XTRIM', ${k.stream}, 'MINID', ${a.minId})
`,
  parse: integer,
});

/**
 * Key rotation's move of addresses written before commitments (sealed in the stream itself, see
 * audit-addresses.ts): their sealed copies and the entry that binds them into the chain, at once. The
 * entry's actor, action, target, session, addr, detail, then `moves`: (entry id, address as read from the
 * stream, sealed copy) for each. Nothing is written, and -1 answered, if any of them has a copy already or
 * no longer holds that address (trimmed, or a second run meanwhile); else the entry's id.
 */
export const resealAuditAddresses = defineScript({
  name: 'resealAuditAddresses',
  keys: ['stream', 'head', 'addresses'],
  args: ['actor', 'action', 'target', 'session', 'addr', 'detail', '...moves'],
  lua: (k, a) => `
${SHA256}
${APPEND(k.stream, k.head)}
for i = ${a.moves}, #ARGV, 3 do
  if redis.call('HEXISTS', ${k.addresses}, ARGV[i]) == 1 then return -1 end
  local found = redis.call('XRANGE', ${k.stream}, ARGV[i], ARGV[i])
  if #found == 0 then return -1 end
  local addr = nil
  local e = found[1][2]
  for j = 1, #e, 2 do if e[j] == 'addr' then addr = e[j + 1] end end
  if addr ~= ARGV[i + 1] then return -1 end
end
for i = ${a.moves}, #ARGV, 3 do redis.call('HSET', ${k.addresses}, ARGV[i], ARGV[i + 2]) end
return append({ ${a.actor}, ${a.action}, ${a.target}, ${a.session}, ${a.addr}, ${a.detail} })
`,
  parse: (reply): { entryId: string } | 'changed' => {
    if (reply === -1) return 'changed';
    return { entryId: text(reply) };
  },
});

export const AUDIT_SCRIPTS = [appendAudit, trimAudit, resealAuditAddresses];
