package session

import "github.com/redis/go-redis/v9"

// The Lua scripts of the Redis store. Each runs atomically on the node that
// owns the subject's hash tag: every key a script names, and every session
// key it derives from the index (RevokeSubject, List), carries that tag, so
// all of them live in one Cluster slot.
//
// Times are unix milliseconds passed by the caller (ARGV), never Redis's
// clock: the caller's clock decides, and the scripts stay deterministic.
// Scripts return strings and integers only, never booleans, so replies
// decode the same under RESP2 and RESP3.
//
// A session hash has the fields sub, created, seen, idle (ms), exp, roles
// (newline-separated), tenant and attrs (JSON, "" when none).

// trimIndex drops expired ids from a subject's index and sets the index's
// TTL to that of its longest-lived session.
const trimIndex = `
local function trim(idx, now)
  redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
  local last = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')
  if #last == 2 then
    local ttl = tonumber(last[2]) - now
    if ttl < 1 then ttl = 1 end
    redis.call('PEXPIRE', idx, ttl)
  end
end
`

// createLua: KEYS session, index. ARGV now, sid, sub, created, seen, idle,
// exp, roles, tenant, attrs, deadline. Returns 1, or 0 if the id is in use
// (a retried Create of the same session returns 1).
const createLua = trimIndex + `
local now = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then
  local cur = redis.call('HMGET', KEYS[1], 'sub', 'created')
  if cur[1] == ARGV[3] and cur[2] == ARGV[4] then return 1 end
  return 0
end
local deadline = tonumber(ARGV[11])
local ttl = deadline - now
if ttl < 1 then ttl = 1 end
redis.call('HSET', KEYS[1], 'sub', ARGV[3], 'created', ARGV[4], 'seen', ARGV[5],
  'idle', ARGV[6], 'exp', ARGV[7], 'roles', ARGV[8], 'tenant', ARGV[9], 'attrs', ARGV[10])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], deadline, ARGV[2])
trim(KEYS[2], now)
return 1
`

// lookupLua is the Check path. KEYS not-before, index, then the session
// key if ARGV[4] (sid) is not empty, then the denylist key if ARGV[5] is
// "1". ARGV now, subject, touch granularity (ms), sid, has-jti. Returns
// {not-before or "", denied 0/1, session fields or {}}; the session fields
// are sub, created, seen, idle, exp, roles, tenant, attrs.
const lookupLua = trimIndex + `
local now = tonumber(ARGV[1])
local nbf = redis.call('GET', KEYS[1]) or ''
local sess = {}
local k = 3
if ARGV[4] ~= '' then
  local key = KEYS[k]
  k = k + 1
  local h = redis.call('HMGET', key, 'sub', 'created', 'seen', 'idle', 'exp', 'roles', 'tenant', 'attrs')
  if h[1] == ARGV[2] then
    local seen, idle, exp = tonumber(h[3]), tonumber(h[4]), tonumber(h[5])
    if now < exp and now < seen + idle then
      if now - seen >= tonumber(ARGV[3]) then
        local deadline = math.min(now + idle, exp)
        redis.call('HSET', key, 'seen', ARGV[1])
        redis.call('PEXPIRE', key, deadline - now)
        redis.call('ZADD', KEYS[2], deadline, ARGV[4])
        trim(KEYS[2], now)
        h[3] = ARGV[1]
      end
      for i = 1, 8 do sess[i] = h[i] or '' end
    end
  end
end
local denied = 0
if ARGV[5] == '1' then
  local v = redis.call('GET', KEYS[k])
  if v and tonumber(v) > now then denied = 1 end
end
return {nbf, denied, sess}
`

// setRolesLua: KEYS session, index. ARGV now, roles. Returns 1, or 0 if
// the session is not live at now.
const setRolesLua = trimIndex + `
local now = tonumber(ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'seen', 'idle', 'exp')
if not h[1] or not (now < tonumber(h[3]) and now < tonumber(h[1]) + tonumber(h[2])) then
  return 0
end
redis.call('HSET', KEYS[1], 'roles', ARGV[2])
trim(KEYS[2], now)
return 1
`

// revokeLua: KEYS session, index. ARGV now, sid.
const revokeLua = trimIndex + `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
trim(KEYS[2], tonumber(ARGV[1]))
return 1
`

// revokeSubjectLua: KEYS index, not-before. ARGV session key prefix of the
// subject, at, ttl (ms: until at+keep by the caller's clock). Deletes
// every indexed session and the index, and sets not-before to the later of
// at and the current value, for the longer of ttl and its remaining TTL
// (nothing to set if ttl is not positive: every token it could refuse has
// expired). Returns how many sessions were live at at.
const revokeSubjectLua = `
local at = tonumber(ARGV[2])
local n = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local h = redis.call('HMGET', key, 'seen', 'idle', 'exp')
  if h[1] and at < tonumber(h[3]) and at < tonumber(h[1]) + tonumber(h[2]) then n = n + 1 end
  redis.call('DEL', key)
end
redis.call('DEL', KEYS[1])
local value = ARGV[2]
local cur = redis.call('GET', KEYS[2])
if cur and tonumber(cur) > at then value = cur end
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  local pttl = redis.call('PTTL', KEYS[2])
  if pttl > ttl then ttl = pttl end
  redis.call('SET', KEYS[2], value, 'PX', ttl)
end
return n
`

// listLua: KEYS index. ARGV now, session key prefix of the subject. Returns
// a flat array of (sid, sub, created, seen, idle, exp, roles, tenant, attrs)
// for every indexed session that still exists.
const listLua = `
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do
  local h = redis.call('HMGET', ARGV[2] .. id, 'sub', 'created', 'seen', 'idle', 'exp', 'roles', 'tenant', 'attrs')
  if h[1] then
    out[#out + 1] = id
    for i = 1, 8 do out[#out + 1] = h[i] or '' end
  end
end
return out
`

// scripts holds the store's scripts. go-redis's Script.Run sends EVALSHA
// and falls back to EVAL (which caches the script) on NOSCRIPT, so a
// script flushed or a new node costs one extra round trip, once.
type scripts struct {
	create, lookup, setRoles, revoke, revokeSubject, list *redis.Script
}

func newScripts() scripts {
	return scripts{
		create:        redis.NewScript(createLua),
		lookup:        redis.NewScript(lookupLua),
		setRoles:      redis.NewScript(setRolesLua),
		revoke:        redis.NewScript(revokeLua),
		revokeSubject: redis.NewScript(revokeSubjectLua),
		list:          redis.NewScript(listLua),
	}
}

func (s scripts) all() []*redis.Script {
	return []*redis.Script{s.create, s.lookup, s.setRoles, s.revoke, s.revokeSubject, s.list}
}
