package ratelimit_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/martyedge/security/pkg/ratelimit"
	"github.com/martyedge/security/pkg/ratelimit/ratelimittest"
)

// Compile-time checks: both limiters have the contract's method set.
var (
	_ ratelimittest.Limiter = (*ratelimit.MemoryLimiter)(nil)
	_ ratelimittest.Limiter = (*ratelimit.RedisLimiter)(nil)
)

func newMemory(t testing.TB, opts ...ratelimit.Option) *ratelimit.MemoryLimiter {
	t.Helper()
	m := ratelimit.NewMemoryLimiter(opts...)
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// memoryFactory sweeps every few milliseconds, so that the suite runs with
// sweeps racing its checks. The sweep's wall clock never reaches the
// suite's times, which start at the wall clock and move ahead of it.
func memoryFactory(t *testing.T) ratelimittest.Limiter {
	return newMemory(t, ratelimit.WithSweepInterval(5*time.Millisecond))
}

func TestMemoryLimiterContract(t *testing.T) {
	t.Parallel()
	ratelimittest.Run(t, memoryFactory)
}

func TestMemoryLimiterAccuracy(t *testing.T) {
	t.Parallel()
	ratelimittest.Accuracy(t, memoryFactory)
}

var burst = ratelimit.Rule{Burst: ratelimit.Limit{Requests: 5, Per: 10 * time.Second}}

// TestMemoryLimiterBounded: however many keys, the limiter holds at most
// MaxKeys, spread over its shards.
func TestMemoryLimiterBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		maxKeys, shards int
	}{
		{1, 1},
		{7, 1},
		{8191, 1},
		{8192, 2},
		{100_000, 16},
		{ratelimit.DefaultMaxKeys, 128},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.maxKeys), func(t *testing.T) {
			t.Parallel()
			m := newMemory(t, ratelimit.WithMaxKeys(tc.maxKeys))
			if n := ratelimit.MemoryShards(m); n != tc.shards {
				t.Errorf("%d shards, want %d", n, tc.shards)
			}
			if tc.maxKeys > 100_000 {
				return // too many keys to fill quickly
			}
			now := time.Now()
			for i := range 3 * tc.maxKeys {
				if _, err := m.Allow(t.Context(), fmt.Sprint("k", i), burst, now); err != nil {
					t.Fatal(err)
				}
			}
			if n := m.Len(); n != tc.maxKeys {
				t.Errorf("Len = %d after %d keys, want MaxKeys %d", n, 3*tc.maxKeys, tc.maxKeys)
			}
		})
	}
}

// TestMemoryLimiterEvictsLeastRecentlyUsed: a full limiter forgets the key
// used longest ago, not one in use.
func TestMemoryLimiterEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	m := newMemory(t, ratelimit.WithMaxKeys(3))
	ctx, now := t.Context(), time.Now()
	for _, k := range []string{"a", "b", "c", "a", "d"} { // b is the LRU
		if _, err := m.Allow(ctx, k, burst, now); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []struct {
		key       string
		remaining int64
	}{{"a", 2}, {"c", 3}, {"d", 3}, {"b", 4}} { // b last: it evicts
		if r, err := m.Allow(ctx, w.key, burst, now); err != nil || r.Remaining != w.remaining {
			t.Errorf("%s: Remaining %d (%v), want %d", w.key, r.Remaining, err, w.remaining)
		}
	}
}

// fakeClock is the sweep's clock in tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// TestMemoryLimiterSweepsIdleKeys: once nothing of a key counts any more
// (plus the slack for clock skew), the sweep drops it; a key still
// counting stays.
func TestMemoryLimiterSweepsIdleKeys(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	c := &fakeClock{now: t0}
	m := newMemory(t, ratelimit.WithClock(c.Now), ratelimit.WithSweepInterval(time.Millisecond))
	ctx := t.Context()
	long := ratelimit.Rule{
		Burst: ratelimit.Limit{Requests: 10, Per: 10 * time.Second},
		Quota: ratelimit.Limit{Requests: 5, Per: time.Hour},
	}
	for i := range 100 {
		if _, err := m.Allow(ctx, fmt.Sprint("idle", i), burst, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Allow(ctx, "busy", long, t0); err != nil {
		t.Fatal(err)
	}
	if n := m.Len(); n != 101 {
		t.Fatalf("Len = %d, want 101", n)
	}
	time.Sleep(20 * time.Millisecond)
	if n := m.Len(); n != 101 {
		t.Fatalf("Len = %d before anything expired, want 101", n)
	}
	c.Set(t0.Add(12 * time.Second)) // the burst window and the slack are over
	deadline := time.Now().Add(5 * time.Second)
	for m.Len() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("Len = %d 5s after the keys went idle, want 1", m.Len())
		}
		time.Sleep(time.Millisecond)
	}
	if r, err := m.Allow(ctx, "busy", long, t0.Add(12*time.Second)); err != nil || r.Limit != 5 || r.Remaining != 3 {
		t.Errorf("busy key after the sweep: %+v, %v; want its quota count kept", r, err)
	}
}

// TestMemoryLimiterDropsWindowsOfOldRules: when a key's rule changes its
// window length, the old window is dropped once it counts nothing.
func TestMemoryLimiterDropsWindowsOfOldRules(t *testing.T) {
	t.Parallel()
	m := newMemory(t)
	ctx, t0 := t.Context(), time.Now()
	other := ratelimit.Rule{Burst: ratelimit.Limit{Requests: 5, Per: 20 * time.Second}}
	for _, step := range []struct {
		rule    ratelimit.Rule
		at      time.Duration
		windows int
	}{
		{burst, 0, 1},
		{other, time.Second, 2},      // the 10s window still counts
		{other, 12 * time.Second, 1}, // it does not any more
		{burst, 13 * time.Second, 2}, // and comes back
		{ratelimit.Rule{Burst: burst.Burst, Quota: other.Burst}, 14 * time.Second, 2},
	} {
		if _, err := m.Allow(ctx, "alice", step.rule, t0.Add(step.at)); err != nil {
			t.Fatal(err)
		}
		if n := ratelimit.MemoryWindows(m, "alice"); n != step.windows {
			t.Errorf("at +%s: %d windows, want %d", step.at, n, step.windows)
		}
	}
}

// TestMemoryLimiterCloseLeaksNoGoroutine: Close stops the sweep. Not
// parallel, so that goleak sees only this test's goroutines.
func TestMemoryLimiterCloseLeaksNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	m := ratelimit.NewMemoryLimiter(ratelimit.WithSweepInterval(time.Millisecond))
	for i := range 100 {
		if _, err := m.Allow(t.Context(), fmt.Sprint("k", i), burst, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}
