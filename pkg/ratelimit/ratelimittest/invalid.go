package ratelimittest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/martyedge/security/pkg/ratelimit"
)

// testInvalidRules: malformed rules are refused with ErrInvalidRule before
// anything is counted.
func testInvalidRules(t *testing.T, l Limiter) {
	sec := time.Second
	tests := []struct {
		name string
		rule ratelimit.Rule
	}{
		{"zero rule", ratelimit.Rule{}},
		{"zero burst with quota", ratelimit.Rule{Quota: quota}},
		{"zero requests", ratelimit.Rule{Burst: ratelimit.Limit{Per: sec}}},
		{"negative requests", ratelimit.Rule{Burst: ratelimit.Limit{Requests: -1, Per: sec}}},
		{"too many requests", ratelimit.Rule{Burst: ratelimit.Limit{Requests: ratelimit.MaxRequests + 1, Per: sec}}},
		{"zero per", ratelimit.Rule{Burst: ratelimit.Limit{Requests: 1}}},
		{"negative per", ratelimit.Rule{Burst: ratelimit.Limit{Requests: 1, Per: -sec}}},
		{"sub-millisecond per", ratelimit.Rule{Burst: ratelimit.Limit{Requests: 1, Per: time.Microsecond}}},
		{"fractional millisecond per", ratelimit.Rule{Burst: ratelimit.Limit{Requests: 1, Per: 1500 * time.Microsecond}}},
		{"per over a year", ratelimit.Rule{Burst: ratelimit.Limit{Requests: 1, Per: ratelimit.MaxPer + time.Millisecond}}},
		{"quota zero requests", ratelimit.Rule{Burst: burst, Quota: ratelimit.Limit{Per: time.Hour}}},
		{"quota zero per", ratelimit.Rule{Burst: burst, Quota: ratelimit.Limit{Requests: 100}}},
		{"quota shorter than burst", ratelimit.Rule{Burst: burst, Quota: ratelimit.Limit{Requests: 100, Per: sec}}},
		{"quota as long as burst", ratelimit.Rule{Burst: burst, Quota: ratelimit.Limit{Requests: 100, Per: burst.Per}}},
	}
	now := start()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.rule.Validate(); !errors.Is(err, ratelimit.ErrInvalidRule) {
				t.Errorf("Validate: %v, want ErrInvalidRule", err)
			}
			r, err := l.Allow(t.Context(), "alice", tc.rule, now)
			if !errors.Is(err, ratelimit.ErrInvalidRule) || r.Allowed {
				t.Errorf("Allow = %+v, %v; want ErrInvalidRule", r, err)
			}
		})
	}
	// Nothing was counted.
	if r := allow(t, l, "alice", ratelimit.Rule{Burst: burst}, now); r.Remaining != 4 {
		t.Errorf("after invalid rules: Remaining %d, want 4", r.Remaining)
	}
}

// testInvalidRequests: an empty or over-long key or a time before 1970 is
// ErrInvalidRequest.
func testInvalidRequests(t *testing.T, l Limiter) {
	rule := ratelimit.Rule{Burst: burst}
	tests := []struct {
		name string
		key  string
		now  time.Time
	}{
		{"empty key", "", start()},
		{"long key", strings.Repeat("k", ratelimit.MaxKeyLen+1), start()},
		{"zero time", "alice", time.Time{}},
		{"before 1970", "alice", time.Unix(-1, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := l.Allow(t.Context(), tc.key, rule, tc.now); !errors.Is(err, ratelimit.ErrInvalidRequest) {
				t.Errorf("Allow: %v, want ErrInvalidRequest", err)
			}
		})
	}
	if r := allow(t, l, strings.Repeat("k", ratelimit.MaxKeyLen), rule, start()); !r.Allowed {
		t.Errorf("key of MaxKeyLen bytes denied: %+v", r)
	}
}

// testClosed: a closed limiter answers ErrUnavailable, and closing twice
// is harmless.
func testClosed(t *testing.T, l Limiter) {
	rule := ratelimit.Rule{Burst: burst}
	allowN(t, l, "alice", rule, start(), 1)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if r, err := l.Allow(t.Context(), "alice", rule, start()); !errors.Is(err, ratelimit.ErrUnavailable) || r.Allowed {
		t.Errorf("Allow after Close = %+v, %v; want ErrUnavailable", r, err)
	}
}
