// Package ratelimittest is the contract every rate limiter must meet: one
// suite, run by the tests of each limiter (memory_test.go, redis_test.go)
// against a fresh limiter per case, plus an accuracy check against an
// exact sliding log.
//
// Time comes from the caller, so the suite drives every limiter with
// synthetic times: it starts at the wall clock and only moves forward, and
// never waits. Windows are at least 10 s long, so that Redis keys (whose
// TTLs run on the wall clock) outlive every step of a case.
package ratelimittest

import (
	"context"
	"testing"
	"time"

	"github.com/martyedge/security/pkg/ratelimit"
)

// Limiter is the method set both limiters share; consumers declare their
// own narrower interfaces.
type Limiter interface {
	Allow(ctx context.Context, key string, rule ratelimit.Rule, now time.Time) (ratelimit.Result, error)
	Close() error
}

// Factory returns a fresh limiter that the test closes in t.Cleanup.
// Closing it again must be harmless.
type Factory func(t *testing.T) Limiter

// Limits of the suite.
var (
	burst = ratelimit.Limit{Requests: 5, Per: 10 * time.Second}
	quota = ratelimit.Limit{Requests: 12, Per: time.Hour}
)

// Run runs the contract against limiters from newLimiter, one per case, in
// parallel.
func Run(t *testing.T, newLimiter Factory) {
	t.Helper()
	cases := []struct {
		name string
		run  func(t *testing.T, l Limiter)
	}{
		{"UnderLimitCountsDown", testUnderLimit},
		{"OverLimitDeniedAndNotCounted", testOverLimit},
		{"QuotaBindsAfterBursts", testQuotaBinds},
		{"WindowSlides", testSlides},
		{"KeysAndWindowsIndependent", testIndependent},
		{"ZeroQuotaMeansNone", testNoQuota},
		{"LoweredLimitAppliesAtOnce", testLowered},
		{"TimeGoingBackwards", testBackwards},
		{"ConcurrentNeverOverAdmits", testConcurrent},
		{"InvalidRules", testInvalidRules},
		{"InvalidRequests", testInvalidRequests},
		{"ClosedIsUnavailable", testClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newLimiter(t))
		})
	}
}

// start returns a time to start a case at: the wall clock, rounded down
// to a second so that it starts a bucket of every window the suite uses.
func start() time.Time { return time.Now().Truncate(time.Second) }

// Expiry returns when a request admitted at t stops counting in a window
// of length per: one window after the last millisecond of its bucket, the
// bucket being per/SubWindows wide (rounded up to a millisecond). This is
// the documented rule both limiters implement.
func Expiry(t time.Time, per time.Duration) time.Time {
	gran := (per.Milliseconds() + ratelimit.SubWindows - 1) / ratelimit.SubWindows
	ms := t.UnixMilli()
	return time.UnixMilli((ms/gran+1)*gran - 1 + per.Milliseconds())
}

// allow calls l.Allow and fails the test on error.
func allow(t *testing.T, l Limiter, key string, rule ratelimit.Rule, now time.Time) ratelimit.Result {
	t.Helper()
	r, err := l.Allow(t.Context(), key, rule, now)
	if err != nil {
		t.Fatalf("Allow(%s, %v) at %s: %v", key, rule, now.Format(time.RFC3339Nano), err)
	}
	return r
}

// want fails the test unless got equals want.
func want(t *testing.T, what string, got, want ratelimit.Result) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// allowN makes n requests at now and fails unless all are admitted.
func allowN(t *testing.T, l Limiter, key string, rule ratelimit.Rule, now time.Time, n int) {
	t.Helper()
	for i := range n {
		if r := allow(t, l, key, rule, now); !r.Allowed {
			t.Fatalf("request %d of %d at %s denied: %+v", i+1, n, now.Format(time.RFC3339Nano), r)
		}
	}
}

// denied fails unless a request at now is denied.
func denied(t *testing.T, l Limiter, key string, rule ratelimit.Rule, now time.Time) ratelimit.Result {
	t.Helper()
	r := allow(t, l, key, rule, now)
	if r.Allowed {
		t.Fatalf("request at %s admitted, want denied: %+v", now.Format(time.RFC3339Nano), r)
	}
	if r.RetryAfter <= 0 || r.Remaining != 0 || r.Reset != r.RetryAfter {
		t.Errorf("denied result %+v: want RetryAfter > 0, Remaining 0, Reset == RetryAfter", r)
	}
	return r
}
