package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/session/sessiontest"
)

// sentinelConfig is testConfig for the master of st, found through its
// Sentinels.
func sentinelConfig(st *redistest.Sentinel) session.RedisConfig {
	cfg := testConfig(st.Addrs()...)
	cfg.MasterName = st.MasterName()
	return cfg
}

// TestRedisStoreSentinelContract runs the contract on a store that finds
// its master through Sentinel. The suite inspects the keys on the master
// itself, so they must be where Sentinel says the master is.
func TestRedisStoreSentinelContract(t *testing.T) {
	t.Parallel()
	st := redistest.StartSentinel(t, "marty-sessions")
	sessiontest.Run(t, func(t *testing.T) (sessiontest.Store, *sessiontest.Clock) {
		c := sessiontest.NewRealClock()
		cfg := sentinelConfig(st)
		s := newRedis(t, cfg, session.WithClock(c.Now), session.WithTouchGranularity(sessiontest.Granularity))
		return inspectedRedis{RedisStore: s, raw: rawClient(t, st.Master().Addr()), prefix: cfg.KeyPrefix}, c
	})
}

// TestRedisStoreSentinelMasterRestart restarts the master under a store
// configured for Sentinel: while the master is down a Lookup fails with
// ErrUnavailable within the caller's deadline, and once it is back the
// same store works again, also when the Sentinel it was asking is the one
// down. (Test timeouts, not the production ones: the point is recovery,
// and a first Sentinel round trip under -race on a busy machine can take
// longer than the 50 ms read_timeout.)
func TestRedisStoreSentinelMasterRestart(t *testing.T) {
	t.Parallel()
	st := redistest.StartSentinel(t, "marty-sessions")
	cfg := sentinelConfig(st)
	s := newRedis(t, cfg)
	ctx := t.Context()
	x := newSession("alice", time.Now())
	if err := s.Create(ctx, x); err != nil {
		t.Fatal(err)
	}
	keys, err := keysOf(ctx, rawClient(t, st.Master().Addr()), cfg.KeyPrefix)
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys on the master: %v, %v; want the session's", keys, err)
	}

	st.Master().Stop()
	lctx, cancel := context.WithTimeout(ctx, envoyBudget)
	start := time.Now()
	_, err = s.Lookup(lctx, session.Query{SessionID: x.ID, Subject: "alice", Now: time.Now()})
	d := time.Since(start)
	cancel()
	if !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("Lookup with the master down: %v, want ErrUnavailable", err)
	}
	if d > envoyBudget+slack {
		t.Errorf("Lookup with the master down took %v, want within %v", d, envoyBudget)
	}
	st.Master().Restart()
	waitWorks(t, s)

	// With either Sentinel down, the other one names the master.
	for i, sen := range st.Sentinels() {
		sen.Stop()
		st.Master().Restart()
		waitWorks(t, s)
		sen.Restart()
		if t.Failed() {
			t.Fatalf("with sentinel %d of %d down", i+1, len(st.Sentinels()))
		}
	}
}

// waitWorks waits until s serves a Lookup again after its master
// restarted (the data is gone: no persistence), then checks that a new
// session is stored and found.
func waitWorks(t *testing.T, s *session.RedisStore) {
	t.Helper()
	ctx := t.Context()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := s.Lookup(ctx, session.Query{Subject: "alice", Now: time.Now()})
		if err == nil && st.Session == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("Lookup still failing 5s after the master came back: %v", err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	y := newSession("alice", time.Now())
	if err := s.Create(ctx, y); err != nil {
		t.Errorf("Create after restart: %v", err)
		return
	}
	if st, err := s.Lookup(ctx, session.Query{SessionID: y.ID, Subject: "alice", Now: time.Now()}); err != nil || st.Session == nil {
		t.Errorf("Lookup after restart = %v, %v", st.Session, err)
	}
}
