package session_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/session"
)

// lookuper is what the benchmark needs of a store.
type lookuper interface {
	Create(ctx context.Context, s *session.Session) error
	Lookup(ctx context.Context, q session.Query) (session.Status, error)
}

// BenchmarkLookup measures the Check path: a live session of one of 1,000
// subjects, its not-before and a jti denylist probe, touched at most once a
// second (the default granularity).
func BenchmarkLookup(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		m := session.NewMemoryStore()
		b.Cleanup(func() { _ = m.Close() })
		benchLookup(b, m)
	})
	b.Run("redis", func(b *testing.B) {
		srv := redistest.Start(b)
		benchLookup(b, newRedis(b, testConfig(srv.Addr())))
	})
	b.Run("redis-parallel", func(b *testing.B) {
		srv := redistest.Start(b)
		benchLookupParallel(b, newRedis(b, testConfig(srv.Addr())))
	})
}

func benchSessions(b *testing.B, s lookuper) []session.Query {
	b.Helper()
	const n = 1000
	qs := make([]session.Query, n)
	now := time.Now()
	for i := range qs {
		x := &session.Session{
			Subject: fmt.Sprintf("user-%d", i), Roles: []string{"viewer", "developer"}, Tenant: "acme",
			CreatedAt: now, IdleTimeout: time.Hour, ExpiresAt: now.Add(time.Hour),
		}
		if err := s.Create(b.Context(), x); err != nil {
			b.Fatal(err)
		}
		qs[i] = session.Query{SessionID: x.ID, Subject: x.Subject, TokenID: "jti-" + x.Subject}
	}
	return qs
}

func benchLookup(b *testing.B, s lookuper) {
	qs := benchSessions(b, s)
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		q := qs[i%len(qs)]
		q.Now = time.Now()
		if st, err := s.Lookup(ctx, q); err != nil || st.Session == nil {
			b.Fatalf("Lookup: %v", err)
		}
		i++
	}
}

func benchLookupParallel(b *testing.B, s lookuper) {
	qs := benchSessions(b, s)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			q := qs[i%len(qs)]
			q.Now = time.Now()
			if st, err := s.Lookup(ctx, q); err != nil || st.Session == nil {
				b.Errorf("Lookup: %v", err)
				return
			}
			i++
		}
	})
}
