package ratelimit_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/ratelimit"
	"github.com/martyedge/security/pkg/session"
)

// envoyBudget is Envoy's ext_authz timeout: the whole Check, rate limit
// included, must answer within it.
const envoyBudget = 200 * time.Millisecond

// slack absorbs scheduling delays of a loaded machine under -race.
const slack = 300 * time.Millisecond

// TestRedisLimiterRecoversAfterRestart stops Redis: Allow fails fast with
// ErrUnavailable (no hang, no allow), and once Redis is back the same
// limiter works again.
func TestRedisLimiterRecoversAfterRestart(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cfg := session.RedisConfig{Addrs: []string{srv.Addr()}, KeyPrefix: testConfig().KeyPrefix} // production timeouts
	l := newRedis(t, cfg)
	ctx := t.Context()
	if r, err := l.Allow(ctx, "alice", burst, time.Now()); err != nil || !r.Allowed {
		t.Fatalf("Allow = %+v, %v", r, err)
	}

	srv.Stop()
	for range 5 {
		cctx, cancel := context.WithTimeout(ctx, envoyBudget)
		start := time.Now()
		r, err := l.Allow(cctx, "alice", burst, time.Now())
		d := time.Since(start)
		cancel()
		if !errors.Is(err, ratelimit.ErrUnavailable) || r.Allowed {
			t.Fatalf("Allow with Redis down = %+v, %v; want ErrUnavailable", r, err)
		}
		var ne net.Error
		if !errors.As(err, &ne) && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("cause of %v is neither a network error nor the deadline", err)
		}
		if d > envoyBudget+slack {
			t.Errorf("Allow with Redis down took %v, want within %v", d, envoyBudget)
		}
	}

	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := l.Allow(ctx, "alice", burst, time.Now())
		if err == nil {
			// Redis lost its data (no persistence): a fresh count.
			if !r.Allowed || r.Remaining != 4 {
				t.Errorf("first Allow after restart = %+v, want admitted with 4 left", r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Allow still failing 5s after Redis came back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRedisLimiterSlowServer puts a proxy that delays every reply by 200 ms
// between the limiter and Redis: Allow gives up at the caller's deadline
// or read_timeout, whichever comes first, and recovers when Redis is fast
// again.
func TestRedisLimiterSlowServer(t *testing.T) {
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
			l := newRedis(t, session.RedisConfig{
				Addrs: []string{p.Addr()}, ReadTimeout: readTimeout, MaxRetries: tc.maxRetries,
				KeyPrefix: testConfig().KeyPrefix,
			})
			p.SetDelay(200 * time.Millisecond)
			ctx := t.Context()
			if tc.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTimeout)
				defer cancel()
			}
			start := time.Now()
			_, err := l.Allow(ctx, "alice", burst, time.Now())
			d := time.Since(start)
			if !errors.Is(err, ratelimit.ErrUnavailable) {
				t.Fatalf("Allow through a slow proxy: %v, want ErrUnavailable", err)
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("cause of %v is not a timeout", err)
			}
			if d > tc.within+slack {
				t.Errorf("Allow took %v, want within %v", d, tc.within)
			}

			// Recovery on the same limiter (the first call after the
			// slowdown may meet a reply the proxy held back).
			p.SetDelay(0)
			deadline := time.Now().Add(2 * time.Second)
			for {
				r, err := l.Allow(t.Context(), "alice", burst, time.Now())
				if err == nil && r.Allowed {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("Allow once Redis is fast again = %+v, %v", r, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestRedisLimiterCloseLeaksNoGoroutine: after traffic and Close, no
// goroutine of the limiter or of go-redis is left. Not parallel, so that
// goleak sees only this test's goroutines.
func TestRedisLimiterCloseLeaksNoGoroutine(t *testing.T) {
	srv := redistest.Start(t) // its process-wait goroutine predates the snapshot
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	l, err := ratelimit.NewRedisLimiter(t.Context(), testConfig(srv.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if _, err := l.Allow(t.Context(), "alice", burst, time.Now()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
