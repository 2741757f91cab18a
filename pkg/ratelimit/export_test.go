package ratelimit

import "hash/maphash"

// KeyPrefix exposes the Redis key prefix of key, for tests of the layout.
func (r *RedisLimiter) KeyPrefix(key string) string { return r.keyPrefix(key) }

// MemoryShards returns how many shards m has.
func MemoryShards(m *MemoryLimiter) int { return len(m.shards) }

// MemoryWindows returns how many windows m keeps for key (-1: no entry).
func MemoryWindows(m *MemoryLimiter, key string) int {
	s := &m.shards[maphash.String(m.seed, key)&uint64(len(m.shards)-1)]
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	if !ok {
		return -1
	}
	return len(e.windows)
}
