package ratelimit

import "github.com/redis/go-redis/v9"

// allowLua checks and counts one request in every window of a rule,
// atomically. It is the Lua twin of window.go and MemoryLimiter.Allow:
// the same steps in the same order, so that both limiters give the same
// answers.
//
// KEYS: one per window (burst, then quota), all with the key's hash tag.
// ARGV: now (unix ms), slack (ms), then per window: limit, per (ms),
// gran (ms). Returns {allowed 0/1, then per window: count, reset, room}
// (see outcome).
//
// A window's value is a string: its total as a big-endian uint32, then
// one 12-byte entry per bucket, oldest first: the bucket index (a double,
// exact for any index up to 2^53) and its count (uint32). A check decodes
// only the expired buckets at the front, the ones it must walk to find
// room, and the last; an admitted request cuts the expired buckets off and
// adds to the last bucket or appends one. The key's TTL ends slack after
// its newest bucket stops counting. A denied request writes nothing. A check
// is one MGET of every window and, if admitted, one SET per window.
const allowLua = `
local now, slack = tonumber(ARGV[1]), tonumber(ARGV[2])
local n = #KEYS
local vals = redis.call('MGET', unpack(KEYS))
local pack, unpack_ = struct.pack, struct.unpack
local out = {1}
local heads, totals = {}, {}
for w = 1, n do
  local lim, per, gran = tonumber(ARGV[3*w]), tonumber(ARGV[3*w+1]), tonumber(ARGV[3*w+2])
  local v = vals[w]
  local total, pos, room = 0, 5, 0
  if v then
    local len = #v
    if len < 4 or (len - 4) % 12 ~= 0 then
      return redis.error_reply('ERR malformed rate limit window')
    end
    total = unpack_('>I4', v)
    while pos < len do
      local b, c = unpack_('>dI4', v, pos)
      if (b + 1) * gran - 1 + per > now then break end
      total = total - c
      pos = pos + 12
    end
    local need = total - lim + 1
    if need > 0 then
      room = per
      local p = pos
      while p < len do
        local b, c = unpack_('>dI4', v, p)
        need = need - c
        if need <= 0 then
          room = (b + 1) * gran - 1 + per - now
          break
        end
        p = p + 12
      end
      out[1] = 0
    end
  else
    vals[w] = ''
  end
  heads[w], totals[w] = pos, total
  out[3*w-1], out[3*w], out[3*w+1] = total, 0, room
end
for w = 1, n do
  local per, gran = tonumber(ARGV[3*w+1]), tonumber(ARGV[3*w+2])
  local v, pos, total = vals[w], heads[w], totals[w]
  local len = #v
  local first = pos
  if out[1] == 1 then
    local b = math.floor(now / gran)
    local newest = b
    local live
    if len - pos >= 11 then
      local lb, lc = unpack_('>dI4', v, len - 11)
      if lb >= b then
        newest = lb
        live = string.sub(v, pos, len - 12) .. pack('>dI4', lb, lc + 1)
      else
        live = string.sub(v, pos) .. pack('>dI4', b, 1)
      end
    else
      live = pack('>dI4', b, 1)
    end
    total = total + 1
    redis.call('SET', KEYS[w], pack('>I4', total) .. live, 'PX', (newest + 1) * gran - 1 + per - now + slack)
    out[3*w-1] = total
    v, first, len = live, 1, #live
  end
  if len - first >= 11 then
    local b = unpack_('>d', v, first)
    out[3*w] = (b + 1) * gran - 1 + per - now
  end
end
return out
`

// allowScript is allowLua. go-redis's Script.Run sends EVALSHA and falls
// back to EVAL (which caches the script) on NOSCRIPT, so a flushed script
// or a new node costs one extra round trip, once.
func allowScript() *redis.Script { return redis.NewScript(allowLua) }
