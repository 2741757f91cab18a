package ratelimittest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/martyedge/security/pkg/ratelimit"
)

// testConcurrent makes many more requests than a window admits, from many
// goroutines at once, on a few keys: exactly the limit is admitted per key,
// whichever window binds. Run under -race it also finds unsynchronised
// state.
func testConcurrent(t *testing.T, l Limiter) {
	tests := []struct {
		name  string
		rule  ratelimit.Rule
		admit int64
	}{
		{"burst", ratelimit.Rule{Burst: ratelimit.Limit{Requests: 50, Per: burst.Per}}, 50},
		{"quota", ratelimit.Rule{Burst: ratelimit.Limit{Requests: 100, Per: burst.Per}, Quota: ratelimit.Limit{Requests: 30, Per: quota.Per}}, 30},
	}
	const keys, workers, rounds = 4, 16, 25 // 100 requests per key
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t0 := start()
			var admitted [keys]atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := range rounds {
						k := w % keys
						// Times spread over a second, out of order across
						// goroutines.
						now := t0.Add(time.Duration((w*rounds+i)%1000) * time.Millisecond)
						r, err := l.Allow(t.Context(), fmt.Sprintf("%s-%d", tc.name, k), tc.rule, now)
						if err != nil {
							t.Errorf("Allow: %v", err)
							return
						}
						if r.Allowed {
							admitted[k].Add(1)
						}
					}
				})
			}
			wg.Wait()
			for k := range admitted {
				if n := admitted[k].Load(); n != tc.admit {
					t.Errorf("key %d: %d admitted, want exactly %d", k, n, tc.admit)
				}
			}
		})
	}
}
