package session_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/session/sessiontest"
)

// testConfig is a client configuration with test timeouts and a key
// prefix of its own.
func testConfig(addrs ...string) session.RedisConfig { return redistest.Config(addrs...) }

func newRedis(t testing.TB, cfg session.RedisConfig, opts ...session.Option) *session.RedisStore {
	t.Helper()
	s, err := session.NewRedisStore(t.Context(), cfg, opts...)
	if err != nil {
		t.Fatalf("NewRedisStore: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// rawClient is a go-redis client of the test's own, to look at keys.
func rawClient(t testing.TB, addrs ...string) redis.UniversalClient {
	t.Helper()
	c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// inspectedRedis lets the suite check the TTL of every key of a store.
type inspectedRedis struct {
	*session.RedisStore
	raw    redis.UniversalClient
	prefix string
}

// Residue counts the store's keys and fails on any without a TTL.
func (r inspectedRedis) Residue(ctx context.Context) (int, error) {
	keys, err := keysOf(ctx, r.raw, r.prefix)
	if err != nil {
		return 0, err
	}
	n := 0
	for k, ttl := range keys {
		switch {
		case ttl == -1:
			return 0, fmt.Errorf("key %s has no TTL", k)
		case ttl > 0:
			n++
		}
	}
	return n, nil
}

// keysOf returns every key under prefix on every master, with its PTTL
// (-1: none, -2: gone).
func keysOf(ctx context.Context, c redis.UniversalClient, prefix string) (map[string]time.Duration, error) {
	var mu sync.Mutex
	out := make(map[string]time.Duration)
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			ttl, err := c.PTTL(ctx, iter.Val()).Result()
			if err != nil {
				return err
			}
			mu.Lock()
			out[iter.Val()] = ttl
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	switch c := c.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	default:
		err = fmt.Errorf("unexpected client %T", c)
	}
	return out, err
}

// redisFactory returns a sessiontest factory of stores on addrs.
func redisFactory(addrs ...string) func(t *testing.T) (sessiontest.Store, *sessiontest.Clock) {
	return func(t *testing.T) (sessiontest.Store, *sessiontest.Clock) {
		c := sessiontest.NewRealClock()
		cfg := testConfig(addrs...)
		s := newRedis(t, cfg, session.WithClock(c.Now), session.WithTouchGranularity(sessiontest.Granularity))
		return inspectedRedis{RedisStore: s, raw: rawClient(t, addrs...), prefix: cfg.KeyPrefix}, c
	}
}

func TestRedisStoreContract(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	sessiontest.Run(t, redisFactory(srv.Addr()))
}

// TestRedisStoreCluster runs the contract on a 3-master Redis Cluster, and
// checks that many subjects spread over every master while each subject's
// keys stay in one slot.
func TestRedisStoreCluster(t *testing.T) {
	t.Parallel()
	cluster := redistest.StartCluster(t, 3)
	t.Run("Contract", func(t *testing.T) {
		sessiontest.Run(t, redisFactory(cluster.Addrs()...))
	})
	t.Run("ManySubjects", func(t *testing.T) {
		t.Parallel()
		testManySubjects(t, cluster.Addrs())
	})
}

func testManySubjects(t *testing.T, addrs []string) {
	ctx := t.Context()
	cfg := testConfig(addrs...)
	s := newRedis(t, cfg)
	now := time.Now()
	const subjects = 200
	ids := make([]string, subjects)
	for i := range subjects {
		sub := fmt.Sprintf("user-%d", i)
		x := newSession(sub, now)
		if err := s.Create(ctx, x); err != nil {
			t.Fatalf("Create(%s): %v", sub, err)
		}
		ids[i] = x.ID
		if err := s.DenyToken(ctx, sub, "jti", now.Add(time.Minute)); err != nil {
			t.Fatalf("DenyToken(%s): %v", sub, err)
		}
		st, err := s.Lookup(ctx, session.Query{SessionID: x.ID, Subject: sub, TokenID: "jti", Now: now})
		if err != nil || st.Session == nil || !st.TokenDenied {
			t.Fatalf("Lookup(%s) = session %v, denied %t, %v", sub, st.Session != nil, st.TokenDenied, err)
		}
	}

	// Keys on every master, and every subject's keys in one slot.
	raw := rawClient(t, addrs...)
	keys, err := keysOf(ctx, raw, cfg.KeyPrefix)
	if err != nil {
		t.Fatal(err)
	}
	var masters atomic.Int32
	err = raw.(*redis.ClusterClient).ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n, err := c.Eval(ctx, `return #redis.call('KEYS', ARGV[1])`, nil, cfg.KeyPrefix+":*").Int()
		if n > 0 {
			masters.Add(1)
		}
		return err
	})
	if err != nil || masters.Load() != 3 {
		t.Errorf("keys on %d masters (%v), want 3", masters.Load(), err)
	}
	slots := make(map[string]map[int64]bool)
	for k := range keys {
		slot, err := raw.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		tag := k[len(cfg.KeyPrefix)+2 : len(cfg.KeyPrefix)+2+12]
		if slots[tag] == nil {
			slots[tag] = make(map[int64]bool)
		}
		slots[tag][slot] = true
	}
	for tag, s := range slots {
		if len(s) != 1 {
			t.Errorf("keys of tag %s are in %d slots", tag, len(s))
		}
	}

	for i := range subjects {
		sub := fmt.Sprintf("user-%d", i)
		if n, err := s.RevokeSubject(ctx, sub, now, time.Minute); err != nil || n != 1 {
			t.Fatalf("RevokeSubject(%s) = %d, %v; want 1", sub, n, err)
		}
		st, err := s.Lookup(ctx, session.Query{SessionID: ids[i], Subject: sub, Now: now})
		if err != nil || st.Session != nil || !st.NotBefore.Equal(now.Truncate(time.Millisecond)) {
			t.Fatalf("Lookup(%s) after RevokeSubject = session %v, not-before %v, %v", sub, st.Session != nil, st.NotBefore, err)
		}
	}
}

// TestRedisStoreKeyLayout pins the key names of the package doc.
func TestRedisStoreKeyLayout(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	cfg := testConfig(srv.Addr())
	s := newRedis(t, cfg)
	now := time.Now()
	x := newSession("alice", now)
	if err := s.Create(ctx, x); err != nil {
		t.Fatal(err)
	}
	if err := s.DenyToken(ctx, "alice", "j1", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeSubject(ctx, "bob", now, time.Minute); err != nil {
		t.Fatal(err)
	}
	keys, err := keysOf(ctx, rawClient(t, srv.Addr()), cfg.KeyPrefix)
	if err != nil {
		t.Fatal(err)
	}
	p, a, b := cfg.KeyPrefix, session.Tag("alice"), session.Tag("bob")
	want := []string{
		p + ":{" + a + "}:s:" + x.ID,
		p + ":{" + a + "}:idx",
		p + ":{" + a + "}:jti:j1",
		p + ":{" + b + "}:nbf",
	}
	got := slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	})
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("keys = %q\nwant %q", got, want)
	}
	for k, ttl := range keys {
		if ttl <= 0 || ttl > time.Hour {
			t.Errorf("TTL of %s = %v", k, ttl)
		}
	}
}

// TestRedisStoreChecksStoredSubject: the hash tag only routes, the stored
// subject decides. A session hash planted under bob's tag (as a tag
// collision would put it) is not bob's session.
func TestRedisStoreChecksStoredSubject(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	cfg := testConfig(srv.Addr())
	s := newRedis(t, cfg)
	now := time.Now()
	x := newSession("alice", now)
	if err := s.Create(ctx, x); err != nil {
		t.Fatal(err)
	}
	forged := session.Tag("bob") + x.ID[len(session.Tag("alice")):]
	src := cfg.KeyPrefix + ":{" + session.Tag("alice") + "}:s:" + x.ID
	dst := cfg.KeyPrefix + ":{" + session.Tag("bob") + "}:s:" + forged
	if err := rawClient(t, srv.Addr()).Rename(ctx, src, dst).Err(); err != nil {
		t.Fatal(err)
	}
	st, err := s.Lookup(ctx, session.Query{SessionID: forged, Subject: "bob", Now: now})
	if err != nil || st.Session != nil {
		t.Errorf("Lookup of a planted session = %v, %v; want none", st.Session, err)
	}
	if _, err := s.Get(ctx, forged, now); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Get of a planted session: %v, want ErrNotFound", err)
	}
}

// TestRedisStoreScriptFlushed: after SCRIPT FLUSH (a restart, a failover
// to a node that never saw the scripts) Lookup falls back to EVAL.
func TestRedisStoreScriptFlushed(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	s := newRedis(t, testConfig(srv.Addr()))
	x := newSession("alice", time.Now())
	if err := s.Create(ctx, x); err != nil {
		t.Fatal(err)
	}
	if err := rawClient(t, srv.Addr()).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		st, err := s.Lookup(ctx, session.Query{SessionID: x.ID, Subject: "alice", Now: time.Now()})
		if err != nil || st.Session == nil {
			t.Fatalf("Lookup after SCRIPT FLUSH = %v, %v", st.Session, err)
		}
	}
}

func TestNewRedisStoreUnreachable(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	addr := srv.Addr()
	srv.Stop()
	cfg := session.RedisConfig{Addrs: []string{addr}}
	start := time.Now()
	_, err := session.NewRedisStore(t.Context(), cfg)
	if !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("NewRedisStore with Redis down: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("NewRedisStore took %v to fail", d)
	}
}
