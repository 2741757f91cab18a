package authz_test

import (
	"context"
	"testing"
	"time"

	"github.com/martyedge/security/internal/envoytest"
	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/authz"
	"github.com/martyedge/security/pkg/ratelimit"
	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
)

// BenchmarkCheck measures a whole Check in process (no gRPC): request
// parsing, the token cache, route resolution, RBAC and the response.
func BenchmarkCheck(b *testing.B) {
	k := newKeys(b)
	f := newFixture(b, k)
	tok := k.sign(b, claims("alice", "developer"))
	cases := []struct {
		name string
		path string
		opts []envoytest.Option
	}{
		{"allow/cached-token/route-table", "/api/orders/42?expand=items", []envoytest.Option{envoytest.Bearer(tok)}},
		{"allow/cached-token/context-extensions", "/api/orders/42", []envoytest.Option{envoytest.Bearer(tok), envoytest.Extensions(map[string]string{"permission": "orders:read"})}},
		{"allow/mtls-service", "/api/inventory/1", []envoytest.Option{envoytest.Principal("spiffe://cluster.local/ns/billing/sa/billing")}},
		{"deny/insufficient-permission", "/api/inventory/1", []envoytest.Option{envoytest.Bearer(tok)}},
		{"deny/missing-token", "/api/orders/42", nil},
		{"allow/public", "/docs/intro", nil},
	}
	for _, tc := range cases {
		req := envoytest.Request("GET", tc.path, tc.opts...)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := b.Context()
			for b.Loop() {
				if _, err := f.svc.Check(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckSession measures a whole Check in process (no gRPC) on the
// allow path of a token bound to a session, with the session in the
// in-memory store and in a real Redis (one EVALSHA per Check), with the
// verified-token cache on (cached) and off (uncached: every Check verifies
// the ES256 signature). "no-session" is the same Check without a store: the
// baseline of this run.
func BenchmarkCheckSession(b *testing.B) {
	k := newKeys(b)
	redis := redistest.Start(b)
	rstore, err := session.NewRedisStore(b.Context(), session.RedisConfig{Addrs: []string{redis.Addr()}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rstore.Close() })
	mstore := session.NewMemoryStore()
	b.Cleanup(func() { _ = mstore.Close() })

	now := time.Now()
	c := claims("alice", "viewer")
	c["sid"] = session.NewID("alice")
	for _, s := range []interface {
		Create(context.Context, *session.Session) error
	}{mstore, rstore} {
		sess := &session.Session{ID: c["sid"].(string), Subject: "alice", Roles: []string{"viewer"},
			CreatedAt: now, LastSeen: now, IdleTimeout: time.Hour, ExpiresAt: now.Add(time.Hour)}
		if err := s.Create(b.Context(), sess); err != nil {
			b.Fatal(err)
		}
	}
	tok := k.sign(b, c)
	req := envoytest.Request("GET", "/api/orders/42", envoytest.Bearer(tok))
	cases := []struct {
		name    string
		store   authz.SessionLookup
		noCache bool
	}{
		{"no-session/cached-token", nil, false},
		{"memory/cached-token", mstore, false},
		{"redis/cached-token", rstore, false},
		{"no-session/uncached-token", nil, true},
		{"redis/uncached-token", rstore, true},
	}
	for _, tc := range cases {
		f := newFixture(b, k, withOptions(func(o *authz.Options) {
			o.Sessions = tc.store
			o.SessionTimeout = time.Second
			if tc.noCache {
				o.Authenticator = uncached(b, k)
			}
		}))
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := f.svc.Check(b.Context(), req)
				if err != nil || resp.GetStatus().GetCode() != 0 {
					b.Fatalf("not allowed: %v %v", resp.GetStatus(), err)
				}
			}
		})
	}
}

// uncached is a verifier for the test keys with its token cache off.
func uncached(tb testing.TB, k *keys) authz.Authenticator {
	cfg := k.authnConfig()
	cfg.Cache.Disabled = true
	v, err := token.NewVerifier(tb.Context(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(v.Close)
	return v
}

// BenchmarkCheckRateLimit measures the per-user limiter's cost per Check
// (whole Check in process, cached token, limits high enough never to
// refuse): no limiter (the baseline of this run), the in-memory limiter,
// and the Redis limiter (one EVALSHA to a local redis-server).
func BenchmarkCheckRateLimit(b *testing.B) {
	k := newKeys(b)
	redis := redistest.Start(b)
	rl, err := ratelimit.NewRedisLimiter(b.Context(), session.RedisConfig{Addrs: []string{redis.Addr()}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rl.Close() })
	ml := ratelimit.NewMemoryLimiter()
	b.Cleanup(func() { _ = ml.Close() })
	req := envoytest.Request("GET", "/api/orders/42", envoytest.Bearer(k.sign(b, claims("alice", "viewer"))))
	for _, tc := range []struct {
		name    string
		limiter authz.RateLimiter
	}{{"no-limiter", nil}, {"memory", ml}, {"redis", rl}} {
		f := newFixture(b, k, withPolicy("policy-limits-high.yaml"), withOptions(func(o *authz.Options) {
			o.Limiter, o.LimitTimeout = tc.limiter, time.Second
		}))
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := f.svc.Check(b.Context(), req)
				if err != nil || resp.GetStatus().GetCode() != 0 {
					b.Fatalf("not allowed: %v %v", resp.GetStatus(), err)
				}
			}
		})
	}
}
