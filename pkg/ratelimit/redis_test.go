package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/ratelimit"
	"github.com/martyedge/security/pkg/ratelimit/ratelimittest"
	"github.com/martyedge/security/pkg/session"
)

// testConfig is a client configuration with test timeouts and a key
// prefix of its own.
func testConfig(addrs ...string) session.RedisConfig { return redistest.Config(addrs...) }

func newRedis(t testing.TB, cfg session.RedisConfig) *ratelimit.RedisLimiter {
	t.Helper()
	l, err := ratelimit.NewRedisLimiter(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewRedisLimiter: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// rawClient is a go-redis client of the test's own, to look at keys.
func rawClient(t testing.TB, addrs ...string) redis.UniversalClient {
	t.Helper()
	c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func redisFactory(addrs ...string) ratelimittest.Factory {
	return func(t *testing.T) ratelimittest.Limiter { return newRedis(t, testConfig(addrs...)) }
}

func TestRedisLimiterContract(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ratelimittest.Run(t, redisFactory(srv.Addr()))
}

func TestRedisLimiterAccuracy(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ratelimittest.Accuracy(t, redisFactory(srv.Addr()))
}

// TestRedisLimiterCluster runs the contract on a 3-master Redis Cluster,
// and checks that many keys spread over every master while the windows
// of one key share a slot.
func TestRedisLimiterCluster(t *testing.T) {
	t.Parallel()
	cluster := redistest.StartCluster(t, 3)
	t.Run("Contract", func(t *testing.T) {
		ratelimittest.Run(t, redisFactory(cluster.Addrs()...))
	})
	t.Run("ManyKeys", func(t *testing.T) {
		t.Parallel()
		testManyKeys(t, cluster.Addrs())
	})
}

func testManyKeys(t *testing.T, addrs []string) {
	ctx := t.Context()
	cfg := testConfig(addrs...)
	l := newRedis(t, cfg)
	rule := ratelimit.Rule{Burst: burst.Burst, Quota: ratelimit.Limit{Requests: 100, Per: time.Hour}}
	now := time.Now()
	const keys = 200
	for i := range keys {
		if r, err := l.Allow(ctx, fmt.Sprint("user-", i), rule, now); err != nil || !r.Allowed {
			t.Fatalf("Allow(user-%d) = %+v, %v", i, r, err)
		}
	}
	raw := rawClient(t, addrs...).(*redis.ClusterClient)
	var masters atomic.Int32
	err := raw.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n, err := c.Eval(ctx, `return #redis.call('KEYS', ARGV[1])`, nil, cfg.KeyPrefix+":*").Int()
		if n > 0 {
			masters.Add(1)
		}
		return err
	})
	if err != nil || masters.Load() != 3 {
		t.Errorf("keys on %d masters (%v), want 3", masters.Load(), err)
	}
	for i := range keys {
		p := l.KeyPrefix(fmt.Sprint("user-", i))
		b, err1 := raw.ClusterKeySlot(ctx, p+"10000").Result()
		q, err2 := raw.ClusterKeySlot(ctx, p+"3600000").Result()
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if b != q {
			t.Fatalf("windows of user-%d in slots %d and %d", i, b, q)
		}
	}
}

// TestRedisLimiterKeyLayout pins the key names of the package doc and
// checks that every key has a TTL of at most its window plus a bucket and
// the slack.
func TestRedisLimiterKeyLayout(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	cfg := testConfig(srv.Addr())
	l := newRedis(t, cfg)
	rule := ratelimit.Rule{Burst: burst.Burst, Quota: ratelimit.Limit{Requests: 100, Per: 24 * time.Hour}}
	if _, err := l.Allow(ctx, "alice", rule, time.Now()); err != nil {
		t.Fatal(err)
	}
	p := l.KeyPrefix("alice")
	if !strings.HasPrefix(p, cfg.KeyPrefix+":rl:{") || !strings.HasSuffix(p, "}:") || len(p) != len(cfg.KeyPrefix)+len(":rl:{}:")+16 {
		t.Errorf("key prefix %q, want %s:rl:{<16-character tag>}:", p, cfg.KeyPrefix)
	}
	raw := rawClient(t, srv.Addr())
	keys, err := raw.Keys(ctx, cfg.KeyPrefix+":*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{
		p + "10000":    10*time.Second + 10*time.Millisecond + time.Second,
		p + "86400000": 24*time.Hour + 86400*time.Millisecond + time.Second,
	}
	if len(keys) != len(want) {
		t.Errorf("keys %q, want %d", keys, len(want))
	}
	for k, most := range want {
		ttl, err := raw.PTTL(ctx, k).Result()
		if err != nil || ttl <= 0 || ttl > most {
			t.Errorf("PTTL(%s) = %v, %v; want in (0, %v]", k, ttl, err, most)
		}
	}
}

// TestRedisLimiterMatchesMemory: the script and the in-memory limiter give
// exactly the same results for the same random sequence of requests:
// several keys, rules whose limits and windows change, times that jump
// and sometimes go backwards.
func TestRedisLimiterMatchesMemory(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	r := newRedis(t, testConfig(srv.Addr()))
	m := newMemory(t)
	rules := []ratelimit.Rule{
		{Burst: ratelimit.Limit{Requests: 5, Per: time.Second}},
		{Burst: ratelimit.Limit{Requests: 5, Per: time.Second}, Quota: ratelimit.Limit{Requests: 20, Per: time.Minute}},
		{Burst: ratelimit.Limit{Requests: 3, Per: time.Second}, Quota: ratelimit.Limit{Requests: 30, Per: time.Minute}},
		{Burst: ratelimit.Limit{Requests: 8, Per: 2500 * time.Millisecond}, Quota: ratelimit.Limit{Requests: 15, Per: time.Minute}},
		{Burst: ratelimit.Limit{Requests: 50, Per: 10 * time.Second}, Quota: ratelimit.Limit{Requests: 40, Per: 7 * time.Minute}},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	ctx, now := t.Context(), time.Now()
	for i := range 3000 {
		switch n := rng.IntN(100); {
		case n < 3:
			now = now.Add(-time.Duration(rng.IntN(500)) * time.Millisecond)
		case n < 60:
			now = now.Add(time.Duration(rng.IntN(300)) * time.Millisecond)
		case n < 62:
			now = now.Add(time.Duration(rng.IntN(120)) * time.Second)
		}
		key := fmt.Sprint("k", rng.IntN(3))
		rule := rules[rng.IntN(len(rules))]
		got, err := r.Allow(ctx, key, rule, now)
		if err != nil {
			t.Fatalf("step %d: Redis: %v", i, err)
		}
		want, err := m.Allow(ctx, key, rule, now)
		if err != nil {
			t.Fatalf("step %d: memory: %v", i, err)
		}
		if got != want {
			t.Fatalf("step %d (%s, %v): Redis %+v, memory %+v", i, key, rule, got, want)
		}
	}
}

// TestRedisLimiterScriptFlushed: after SCRIPT FLUSH (a restart, a failover
// to a node that never saw the script) Allow falls back to EVAL.
func TestRedisLimiterScriptFlushed(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	l := newRedis(t, testConfig(srv.Addr()))
	if err := rawClient(t, srv.Addr()).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if r, err := l.Allow(ctx, "alice", burst, time.Now()); err != nil || r.Remaining != 3-int64(i)+1 {
			t.Fatalf("Allow after SCRIPT FLUSH = %+v, %v", r, err)
		}
	}
}

// TestRedisLimiterMalformedValue: a value the script did not write is an
// error (ErrUnavailable, so the fail mode decides), not a silent reset.
func TestRedisLimiterMalformedValue(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	l := newRedis(t, testConfig(srv.Addr()))
	if err := rawClient(t, srv.Addr()).Set(ctx, l.KeyPrefix("alice")+"10000", "not a window", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := l.Allow(ctx, "alice", burst, time.Now())
	if !errors.Is(err, ratelimit.ErrUnavailable) || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("Allow on a malformed value: %v, want ErrUnavailable", err)
	}
}

func TestNewRedisLimiterInvalidConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   session.RedisConfig
		field string
	}{
		{"no address", session.RedisConfig{}, "addrs"},
		{"bad prefix", session.RedisConfig{Addrs: []string{"127.0.0.1:1"}, KeyPrefix: "a{b"}, "key_prefix"},
		{"missing password file", session.RedisConfig{Addrs: []string{"127.0.0.1:1"}, PasswordFile: "/nonexistent/pw"}, "password_file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ratelimit.NewRedisLimiter(t.Context(), tc.cfg)
			var fe *session.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("NewRedisLimiter: %v, want a FieldError for %s", err, tc.field)
			}
		})
	}
}

func TestNewRedisLimiterUnreachable(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	addr := srv.Addr()
	srv.Stop()
	start := time.Now()
	_, err := ratelimit.NewRedisLimiter(t.Context(), session.RedisConfig{Addrs: []string{addr}})
	if !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Fatalf("NewRedisLimiter with Redis down: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("NewRedisLimiter took %v to fail", d)
	}
}

// TestRedisLimiterConcurrentReplicas: two limiters (two replicas) on one
// Redis never admit more than the limit between them.
func TestRedisLimiterConcurrentReplicas(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cfg := testConfig(srv.Addr())
	replicas := []*ratelimit.RedisLimiter{newRedis(t, cfg), newRedis(t, cfg)}
	rule := ratelimit.Rule{Burst: ratelimit.Limit{Requests: 200, Per: time.Minute}, Quota: ratelimit.Limit{Requests: 150, Per: time.Hour}}
	now := time.Now()
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for range 50 {
				r, err := replicas[w%2].Allow(t.Context(), "alice", rule, now)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := admitted.Load(); n != 150 {
		t.Errorf("%d admitted by two replicas, want exactly 150", n)
	}
}
