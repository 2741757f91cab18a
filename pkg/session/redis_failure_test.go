package session_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/session"
)

// envoyBudget is Envoy's ext_authz timeout: the whole Check, store
// included, must answer within it.
const envoyBudget = 200 * time.Millisecond

// slack absorbs scheduling delays of a loaded machine under -race.
const slack = 300 * time.Millisecond

// TestRedisStoreRecoversAfterRestart stops Redis under traffic: every
// Lookup fails fast with ErrUnavailable (no hang), and once Redis is back
// the same store works again.
func TestRedisStoreRecoversAfterRestart(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newRedis(t, session.RedisConfig{Addrs: []string{srv.Addr()}}) // production timeouts
	ctx := t.Context()
	x := newSession("alice", time.Now())
	if err := s.Create(ctx, x); err != nil {
		t.Fatal(err)
	}

	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		calls   atomic.Int64
		fails   atomic.Int64
		slowest atomic.Int64
	)
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				cctx, cancel := context.WithTimeout(ctx, envoyBudget)
				start := time.Now()
				_, err := s.Lookup(cctx, session.Query{SessionID: x.ID, Subject: "alice", Now: time.Now()})
				d := time.Since(start)
				cancel()
				calls.Add(1)
				for {
					old := slowest.Load()
					if int64(d) <= old || slowest.CompareAndSwap(old, int64(d)) {
						break
					}
				}
				if err != nil {
					fails.Add(1)
					if !errors.Is(err, session.ErrUnavailable) {
						t.Errorf("Lookup with Redis down: %v, want ErrUnavailable", err)
					}
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	srv.Stop()
	time.Sleep(500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if fails.Load() == 0 {
		t.Fatalf("no Lookup failed in %d calls with Redis stopped", calls.Load())
	}
	if d := time.Duration(slowest.Load()); d > envoyBudget+slack {
		t.Errorf("slowest Lookup took %v, want within %v", d, envoyBudget)
	}
	// Without a caller deadline the configured timeouts alone bound it:
	// two attempts (max_retries 1) of one dial each, and a back-off.
	start := time.Now()
	_, err := s.Lookup(ctx, session.Query{Subject: "alice", Now: time.Now()})
	if !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("Lookup with Redis down: %v, want ErrUnavailable", err)
	}
	if d, budget := time.Since(start), 2*session.DefaultRedisDialTimeout+30*time.Millisecond; d > budget+slack {
		t.Errorf("Lookup without a deadline took %v, want within %v", d, budget)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("the cause is lost: %v has no *net.OpError", err)
	}

	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := s.Lookup(ctx, session.Query{SessionID: x.ID, Subject: "alice", Now: time.Now()})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Lookup still failing 5s after Redis came back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Redis lost its data (no persistence); the store works as new.
	y := newSession("alice", time.Now())
	if err := s.Create(ctx, y); err != nil {
		t.Fatalf("Create after restart: %v", err)
	}
	if st, err := s.Lookup(ctx, session.Query{SessionID: y.ID, Subject: "alice", Now: time.Now()}); err != nil || st.Session == nil {
		t.Fatalf("Lookup after restart = %v, %v", st.Session, err)
	}
}

// TestRedisStoreSlowServer puts a proxy that delays every reply by 200 ms
// between the store and Redis: Lookup gives up after read_timeout (plus
// retries, within the caller's deadline) and recovers when Redis is fast
// again.
func TestRedisStoreSlowServer(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	p := redistest.NewDelayProxy(t, srv.Addr())
	const readTimeout = 50 * time.Millisecond

	tests := []struct {
		name       string
		maxRetries int
		ctxTimeout time.Duration // 0: none
		within     time.Duration
	}{
		{"no retry: read_timeout", -1, 0, readTimeout},
		{"one retry: twice read_timeout and a back-off", 1, 0, 2*readTimeout + 30*time.Millisecond},
		{"caller deadline shorter than read_timeout", 1, 20 * time.Millisecond, 20 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p.SetDelay(0)
			s := newRedis(t, session.RedisConfig{
				Addrs: []string{p.Addr()}, ReadTimeout: readTimeout, MaxRetries: tc.maxRetries,
				KeyPrefix: testConfig().KeyPrefix,
			})
			x := newSession("alice", time.Now())
			if err := s.Create(t.Context(), x); err != nil {
				t.Fatal(err)
			}
			p.SetDelay(200 * time.Millisecond)
			ctx := t.Context()
			if tc.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTimeout)
				defer cancel()
			}
			start := time.Now()
			_, err := s.Lookup(ctx, session.Query{SessionID: x.ID, Subject: "alice", Now: time.Now()})
			d := time.Since(start)
			if !errors.Is(err, session.ErrUnavailable) {
				t.Fatalf("Lookup through a slow proxy: %v, want ErrUnavailable", err)
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("cause of %v is not a timeout", err)
			}
			if d > tc.within+slack {
				t.Errorf("Lookup took %v, want within %v", d, tc.within)
			}

			// Recovery: the first call after the slowdown may still meet a
			// reply the proxy held back, or a busy machine; it must work
			// again well within a second, on the same store.
			p.SetDelay(0)
			deadline := time.Now().Add(2 * time.Second)
			for {
				st, err := s.Lookup(t.Context(), session.Query{SessionID: x.ID, Subject: "alice", Now: time.Now()})
				if err == nil && st.Session != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("Lookup once Redis is fast again = %v, %v", st.Session, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestRedisStoreCloseLeaksNoGoroutine: after traffic and Close, no
// goroutine of the store or of go-redis is left. Not parallel, so that
// goleak sees only this test's goroutines.
func TestRedisStoreCloseLeaksNoGoroutine(t *testing.T) {
	srv := redistest.Start(t) // its process-wait goroutine predates the snapshot
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := session.NewRedisStore(t.Context(), testConfig(srv.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				x := newSession("alice", time.Now())
				if err := s.Create(t.Context(), x); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Lookup(t.Context(), session.Query{SessionID: x.ID, Subject: "alice", Now: time.Now()}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if _, err := s.List(t.Context(), "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, err = s.Lookup(t.Context(), session.Query{Subject: "alice", Now: time.Now()})
	if !errors.Is(err, session.ErrUnavailable) {
		t.Errorf("Lookup after Close: %v, want ErrUnavailable", err)
	}
}
