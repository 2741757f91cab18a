package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/martyedge/security/pkg/session"
)

// RedisLimiter counts requests in Redis (single node, Sentinel or
// Cluster), shared by every replica: one EVALSHA per check. The key layout
// is in the package doc. It is safe for concurrent use; go-redis
// reconnects on its own when Redis comes back.
//
// Every error that means Redis could not answer (network, timeout, closed
// limiter, an error reply) wraps ErrUnavailable and keeps its cause.
type RedisLimiter struct {
	client redis.UniversalClient
	prefix string
	script *redis.Script

	closeOnce sync.Once
	closeErr  error
}

// NewRedisLimiter validates cfg (a copy: cfg itself is not modified; the
// same configuration type and defaults as the session store, key prefix
// included), reads the password and CA files, connects, and loads the
// script on every master. It fails if Redis does not answer within ctx.
func NewRedisLimiter(ctx context.Context, cfg session.RedisConfig) (*RedisLimiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	uo, err := cfg.UniversalOptions()
	if err != nil {
		return nil, err
	}
	r := &RedisLimiter{
		client: redis.NewUniversalClient(uo),
		prefix: cfg.KeyPrefix,
		script: allowScript(),
	}
	if err := r.client.Ping(ctx).Err(); err != nil {
		_ = r.client.Close()
		return nil, unavailable("connect", err)
	}
	if err := r.script.Load(ctx, r.client).Err(); err != nil {
		_ = r.client.Close()
		return nil, unavailable("load script", err)
	}
	return r, nil
}

// tagLen is the length of a key's hash tag: 16 base64url characters, 96
// bits of SHA-256 of the key, so that distinct keys never share a counter
// in practice.
const tagLen = 16

// keyPrefix returns "<prefix>:rl:{<tag>}:". Cluster hashes only the tag,
// so every window of a key lives in one slot and one script can touch
// them all.
func (r *RedisLimiter) keyPrefix(key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.prefix + ":rl:{" + base64.RawURLEncoding.EncodeToString(sum[:])[:tagLen] + "}:"
}

// Allow checks one request of key at now against rule and counts it if
// every window of the rule has room; a denied request is not counted. One
// EVALSHA, bounded by ctx's deadline and the client's timeouts.
func (r *RedisLimiter) Allow(ctx context.Context, key string, rule Rule, now time.Time) (Result, error) {
	ms, err := checkRequest(key, rule, now)
	if err != nil {
		return Result{}, err
	}
	specs, n := rule.specs()
	p := r.keyPrefix(key)
	keys := make([]string, n)
	args := make([]any, 2, 2+3*n)
	args[0], args[1] = ms, keySlack.Milliseconds()
	for i, s := range specs[:n] {
		// The window's length names its key: a rule whose limit changes
		// keeps counting, one whose window changes starts afresh.
		keys[i] = p + strconv.FormatInt(s.per, 10)
		args = append(args, s.limit, s.per, s.gran)
	}
	res, err := r.script.Run(ctx, r.client, keys, args...).Int64Slice()
	if err != nil {
		return Result{}, unavailable("allow", err)
	}
	if len(res) != 1+3*n {
		return Result{}, fmt.Errorf("redis allow: %w: script returned %d values, want %d", ErrUnavailable, len(res), 1+3*n)
	}
	var outs [2]outcome
	for i := range n {
		outs[i] = outcome{limit: specs[i].limit, count: res[1+3*i], reset: res[2+3*i], room: res[3+3*i]}
	}
	d := decide(outs[:n])
	if d.Allowed != (res[0] == 1) {
		return Result{}, fmt.Errorf("redis allow: %w: script says allowed=%d, its windows say %t", ErrUnavailable, res[0], d.Allowed)
	}
	return d, nil
}

// Ping reports whether Redis answers (for readiness).
func (r *RedisLimiter) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close closes the connections; later calls fail with ErrUnavailable.
// Close is idempotent.
func (r *RedisLimiter) Close() error {
	r.closeOnce.Do(func() {
		if err := r.client.Close(); err != nil {
			r.closeErr = fmt.Errorf("close redis rate limiter: %w", err)
		}
	})
	return r.closeErr
}
