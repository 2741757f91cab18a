package authz_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/martyedge/security/internal/envoytest"
	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/authz"
	"github.com/martyedge/security/pkg/session"
)

// TestSessionStoreFaults runs Checks against a real Redis that is slowed
// down and then stopped, with the store in both fail modes: closed never
// allows while the store cannot answer, open decides on the token alone;
// both answer within the session timeout and recover when Redis is back,
// without a restart, and leave no goroutine behind.
func TestSessionStoreFaults(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // runs after every other cleanup

	k := newKeys(t)
	redis := redistest.Start(t)
	proxy := redistest.NewDelayProxy(t, redis.Addr())
	// Budgets sized for -race on a shared 2-core machine; the injected
	// delay (1s) is far beyond them, which is what the test is about.
	store, err := session.NewRedisStore(t.Context(), session.RedisConfig{
		Addrs: []string{proxy.Addr()}, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	const timeout = 400 * time.Millisecond
	reg := prometheus.NewRegistry()
	metrics, err := authz.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	use := func(failOpen bool) fixtureOpt {
		return withOptions(func(o *authz.Options) {
			o.Sessions, o.SessionTimeout, o.SessionFailOpen, o.Metrics = store, timeout, failOpen, metrics
		})
	}
	closed := newFixture(t, k, use(false))
	open := newFixture(t, k, use(true))

	now := time.Now()
	s := &session.Session{Subject: "alice", Roles: []string{"viewer"}, CreatedAt: now, LastSeen: now, IdleTimeout: time.Hour, ExpiresAt: now.Add(time.Hour)}
	if err := store.Create(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	c := claims("alice", "developer") // the token claims more than the session
	c["sid"] = s.ID
	withSession := k.sign(t, c)
	noSession := k.sign(t, claims("bob", "viewer"))

	// check returns the decision and how long it took.
	check := func(f *fixture, tok string) (result, time.Duration) {
		t.Helper()
		start := time.Now()
		r := summarize(t, f.check(t, envoytest.Request("GET", "/api/orders", envoytest.Bearer(tok))))
		return r, time.Since(start)
	}
	// Generous slack for -race on a shared 2-core machine; the point is
	// that the answer is bounded by the timeout, not by Redis.
	bound := timeout + 250*time.Millisecond
	expectUnavailable := func(phase string) {
		t.Helper()
		r, took := check(closed, withSession)
		if r.allowed || r.status != http.StatusServiceUnavailable || r.headers["retry-after"] == "" {
			t.Fatalf("%s, fail closed: allowed=%v status=%d headers=%v, want 503 with Retry-After", phase, r.allowed, r.status, r.headers)
		}
		if took > bound {
			t.Errorf("%s, fail closed: answered after %s, want within %s", phase, took, bound)
		}
		r, took = check(open, withSession)
		if !r.allowed || r.headers["x-user-roles"] != "developer" {
			t.Fatalf("%s, fail open: allowed=%v roles=%q, want allowed on the token's roles", phase, r.allowed, r.headers["x-user-roles"])
		}
		if took > bound {
			t.Errorf("%s, fail open: answered after %s, want within %s", phase, took, bound)
		}
	}
	eventuallyAllowed := func(phase string, f *fixture, tok string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			r, _ := check(f, tok)
			if r.allowed {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %d %v after 5s", phase, r.status, r.body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	if r, _ := check(closed, withSession); !r.allowed || r.headers["x-user-roles"] != "viewer" {
		t.Fatalf("healthy store: allowed=%v roles=%q, want allowed as the session's viewer", r.allowed, r.headers["x-user-roles"])
	}

	proxy.SetDelay(time.Second)
	expectUnavailable("slow Redis")
	proxy.SetDelay(0)
	eventuallyAllowed("after the slowdown", closed, withSession)

	redis.Stop()
	for range 5 { // traffic while it is down: never an allow when closed
		expectUnavailable("Redis stopped")
	}
	if n := testutil.ToFloat64(metrics.SessionErrors("closed")); n < 6 {
		t.Errorf("extauthz_session_store_errors_total{fail_mode=closed} = %v, want every failed lookup counted", n)
	}
	redis.Restart() // an empty Redis: the session is gone, the store answers again
	eventuallyAllowed("after the restart", closed, noSession)
	if r, _ := check(closed, withSession); r.allowed || r.status != http.StatusUnauthorized {
		t.Errorf("session lost with Redis's data: allowed=%v status=%d, want 401", r.allowed, r.status)
	}
}
