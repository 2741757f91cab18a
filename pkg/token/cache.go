package token

import (
	"crypto/sha256"
	"sync/atomic"
	"time"
	"unsafe"

	lru "github.com/hashicorp/golang-lru/v2"
)

// CacheStats are cumulative verified-token cache counters.
type CacheStats struct {
	Hits    uint64 // Verify answered from the cache
	Misses  uint64 // Verify had to verify (including expired or revoked entries)
	Entries int    // tokens currently cached
}

// cacheKey is the SHA-256 of the raw token: fixed size, and the cache never
// holds the bearer token itself.
type cacheKey [sha256.Size]byte

// cacheEntry is one verified token. It is immutable once added.
type cacheEntry struct {
	id  *Identity
	exp time.Time
	iss *issuer
	gen uint64 // issuer key generation at verification time
}

// tokenCache remembers successful verifications until the token expires, so
// the hot path is a hash and a map lookup instead of a signature check.
type tokenCache struct {
	lru    *lru.Cache[cacheKey, *cacheEntry]
	hits   atomic.Uint64
	misses atomic.Uint64
}

func newTokenCache(size int) (*tokenCache, error) {
	l, err := lru.New[cacheKey, *cacheEntry](size)
	if err != nil {
		return nil, err
	}
	return &tokenCache{lru: l}, nil
}

// keyOf hashes the token without copying it: []byte(raw) would allocate a
// token-sized buffer on every request of the hot path. Sum256 only reads its
// argument and does not retain it, so aliasing the string's bytes is safe.
func keyOf(raw string) cacheKey {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(raw), len(raw)))
}

// get returns the cached identity unless the entry is expired at now or its
// issuer revoked a key since; such entries are dropped.
func (c *tokenCache) get(k cacheKey, now time.Time) (*Identity, bool) {
	e, ok := c.lru.Get(k)
	if ok && now.Before(e.exp) && e.iss.generation() == e.gen {
		c.hits.Add(1)
		return e.id, true
	}
	if ok {
		c.lru.Remove(k)
	}
	c.misses.Add(1)
	return nil, false
}

func (c *tokenCache) add(k cacheKey, e *cacheEntry) { c.lru.Add(k, e) }

func (c *tokenCache) stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Entries: c.lru.Len()}
}
