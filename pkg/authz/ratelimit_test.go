package authz_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/martyedge/security/internal/envoytest"
	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/authz"
	"github.com/martyedge/security/pkg/ratelimit"
	"github.com/martyedge/security/pkg/session"
)

// fakeClock is the decision time the tests step through.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// limitResult is what the client sees of a counted request: the
// x-ratelimit-* headers, from the denial or from response_headers_to_add.
func limitHeadersOf(t *testing.T, f *fixture, method, path string, opts ...envoytest.Option) (result, map[string]string) {
	t.Helper()
	resp := f.check(t, envoytest.Request(method, path, opts...))
	r := summarize(t, resp)
	h := map[string]string{}
	if ok := resp.GetOkResponse(); ok != nil {
		for _, o := range ok.GetResponseHeadersToAdd() {
			if o.GetAppendAction().String() != "OVERWRITE_IF_EXISTS_OR_ADD" {
				t.Errorf("%s sent with append_action %s, want OVERWRITE_IF_EXISTS_OR_ADD", o.GetHeader().GetKey(), o.GetAppendAction())
			}
			h[o.GetHeader().GetKey()] = o.GetHeader().GetValue()
		}
	} else {
		for _, k := range []string{"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"} {
			if v, ok := r.headers[k]; ok {
				h[k] = v
			}
		}
	}
	return r, h
}

// TestPerUserRateLimit drives the per-user limits of the policy through
// Check with the in-memory limiter and a stepped clock.
func TestPerUserRateLimit(t *testing.T) {
	k := newKeys(t)
	clock := &fakeClock{now: time.Now()}
	lim := ratelimit.NewMemoryLimiter()
	t.Cleanup(func() { _ = lim.Close() })
	opts := func(o *authz.Options) { o.Limiter, o.Clock = lim, clock.Now }
	f := newFixture(t, k, withPolicy("policy-limits.yaml"), withOptions(opts))
	shadow := newFixture(t, k, withPolicy("policy-limits.yaml"), withOptions(opts), withShadow())
	viewer := envoytest.Bearer(k.sign(t, claims("alice", "viewer")))
	admin := envoytest.Bearer(k.sign(t, claims("root", "admin")))

	for i := range 3 {
		r, h := limitHeadersOf(t, f, "GET", "/api/orders", viewer)
		if !r.allowed {
			t.Fatalf("request %d denied %d, want allowed within the burst", i+1, r.status)
		}
		if h["x-ratelimit-limit"] != "3" || h["x-ratelimit-remaining"] != strconv.Itoa(2-i) || h["x-ratelimit-reset"] == "" {
			t.Errorf("request %d: headers %v, want limit 3 remaining %d", i+1, h, 2-i)
		}
	}
	r, h := limitHeadersOf(t, f, "GET", "/api/orders", viewer)
	if r.allowed || r.status != http.StatusTooManyRequests || r.body["error"] != "rate_limited" || r.grpcCode != 8 {
		t.Fatalf("4th request in a second: allowed=%v status=%d body=%v grpc=%d, want 429 rate_limited RESOURCE_EXHAUSTED", r.allowed, r.status, r.body, r.grpcCode)
	}
	if h["retry-after"] != "1" || h["x-ratelimit-remaining"] != "0" || h["x-ratelimit-limit"] != "3" {
		t.Errorf("429 headers = %v, want retry-after 1, limit 3, remaining 0", h)
	}

	// Forbidden requests are not counted; other callers have their own count.
	if r := summarize(t, f.check(t, envoytest.Request("POST", "/deploy", viewer))); r.status != http.StatusForbidden {
		t.Errorf("POST /deploy as viewer = %d, want 403 (RBAC before the limit)", r.status)
	}
	for range 5 {
		if r, h := limitHeadersOf(t, f, "GET", "/api/orders", admin); !r.allowed || len(h) != 0 {
			t.Fatalf("unlimited admin: allowed=%v headers=%v, want allowed without limit headers", r.allowed, h)
		}
	}
	billing := envoytest.Principal("spiffe://cluster.local/ns/billing/sa/billing")
	if r, h := limitHeadersOf(t, f, "GET", "/api/inventory/1", billing); !r.allowed || h["x-ratelimit-remaining"] != "2" {
		t.Errorf("mTLS caller: allowed=%v headers=%v, want its own count (remaining 2)", r.allowed, h)
	}

	// The burst window slides; then the hourly quota (5) binds.
	clock.Advance(1100 * time.Millisecond)
	for i := range 2 {
		if r, _ := limitHeadersOf(t, f, "GET", "/api/orders", viewer); !r.allowed {
			t.Fatalf("request %d after the burst window: denied %d", i+1, r.status)
		}
	}
	clock.Advance(1100 * time.Millisecond)
	r, h = limitHeadersOf(t, f, "GET", "/api/orders", viewer)
	if r.status != http.StatusTooManyRequests || h["x-ratelimit-limit"] != "5" {
		t.Fatalf("6th request in the hour: status %d headers %v, want 429 with limit 5 (the quota)", r.status, h)
	}
	if ra, _ := strconv.Atoi(h["retry-after"]); ra < 3000 {
		t.Errorf("retry-after = %q, want close to an hour", h["retry-after"])
	}
	if r, h := limitHeadersOf(t, shadow, "GET", "/api/orders", viewer); !r.allowed || h["x-ratelimit-remaining"] != "0" || h["retry-after"] != "" {
		t.Errorf("shadow mode over the limit: allowed=%v headers=%v, want allowed with remaining 0 and no retry-after", r.allowed, h)
	}
}

// TestRateLimiterUnavailable: a limiter that cannot answer lets requests
// through by default and refuses them when configured to, counting both.
func TestRateLimiterUnavailable(t *testing.T) {
	k := newKeys(t)
	redis := redistest.Start(t)
	lim, err := ratelimit.NewRedisLimiter(t.Context(), session.RedisConfig{Addrs: []string{redis.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lim.Close() })
	metrics, err := authz.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	open := newFixture(t, k, withPolicy("policy-limits.yaml"), withOptions(func(o *authz.Options) { o.Limiter, o.Metrics = lim, metrics }))
	closed := newFixture(t, k, withPolicy("policy-limits.yaml"), withOptions(func(o *authz.Options) {
		o.Limiter, o.Metrics, o.LimitFailClosed = lim, metrics, true
	}))
	viewer := envoytest.Bearer(k.sign(t, claims("alice", "viewer")))
	if r, h := limitHeadersOf(t, open, "GET", "/api/orders", viewer); !r.allowed || h["x-ratelimit-limit"] != "3" {
		t.Fatalf("healthy Redis: allowed=%v headers=%v", r.allowed, h)
	}
	redis.Stop()
	if r, h := limitHeadersOf(t, open, "GET", "/api/orders", viewer); !r.allowed || len(h) != 0 {
		t.Errorf("fail open: allowed=%v headers=%v, want allowed without limit headers", r.allowed, h)
	}
	if r := summarize(t, closed.check(t, envoytest.Request("GET", "/api/orders", viewer))); r.allowed || r.status != http.StatusServiceUnavailable {
		t.Errorf("fail closed: allowed=%v status=%d, want 503", r.allowed, r.status)
	}
	if testutil.ToFloat64(metrics.LimiterErrors("open")) != 1 || testutil.ToFloat64(metrics.LimiterErrors("closed")) != 1 {
		t.Errorf("limiter errors not counted per fail mode")
	}
}
