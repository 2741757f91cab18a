package ratelimit_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/ratelimit"
)

// allower is what the benchmark needs of a limiter.
type allower interface {
	Allow(ctx context.Context, key string, rule ratelimit.Rule, now time.Time) (ratelimit.Result, error)
}

// benchRule is the example: 20 req/s burst, 10,000 req/day.
var benchRule = ratelimit.Rule{
	Burst: ratelimit.Limit{Requests: 20, Per: time.Second},
	Quota: ratelimit.Limit{Requests: 10_000, Per: 24 * time.Hour},
}

// BenchmarkAllow measures one check of the Check path over many
// principals, serially and from parallel goroutines, in memory and in
// Redis (a local redis-server: the figure is mostly the round trip).
func BenchmarkAllow(b *testing.B) {
	b.Run("memory/serial", func(b *testing.B) { benchAllow(b, newMemory(b), 100_000, false) })
	b.Run("memory/parallel", func(b *testing.B) { benchAllow(b, newMemory(b), 100_000, true) })
	b.Run("redis/serial", func(b *testing.B) {
		srv := redistest.Start(b)
		benchAllow(b, newRedis(b, testConfig(srv.Addr())), 10_000, false)
	})
	b.Run("redis/parallel", func(b *testing.B) {
		srv := redistest.Start(b)
		benchAllow(b, newRedis(b, testConfig(srv.Addr())), 10_000, true)
	})
}

func benchAllow(b *testing.B, l allower, keys int, parallel bool) {
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprint("user-", i)
	}
	ctx := b.Context()
	b.ReportAllocs()
	if !parallel {
		i := 0
		for b.Loop() {
			if _, err := l.Allow(ctx, names[i%keys], benchRule, time.Now()); err != nil {
				b.Fatal(err)
			}
			i++
		}
		return
	}
	var worker atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine starts at its own key, as concurrent Checks of
		// different principals would.
		i := int(worker.Add(1)) * 7919
		for pb.Next() {
			if _, err := l.Allow(ctx, names[i%keys], benchRule, time.Now()); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
