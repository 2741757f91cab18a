package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const (
	ok   = rlsv3.RateLimitResponse_OK
	over = rlsv3.RateLimitResponse_OVER_LIMIT
)

// call sends Envoy's request: the descriptors, one hit each.
func (s *service) call(t *testing.T, ds []*ratelimitv3.RateLimitDescriptor) *rlsv3.RateLimitResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	defer cancel()
	resp, err := s.client.ShouldRateLimit(ctx, &rlsv3.RateLimitRequest{Domain: s.domain, Descriptors: ds, HitsAddend: 1})
	if err != nil {
		t.Fatalf("ShouldRateLimit: %v", err)
	}
	if len(resp.GetStatuses()) != len(ds) {
		t.Fatalf("ShouldRateLimit: %d statuses for %d descriptors", len(resp.GetStatuses()), len(ds))
	}
	return resp
}

// prime counts hits for ds[i] alone (the others are only checked: a
// descriptor hits_addend of 0), standing in for hits earlier requests made.
func (s *service) prime(t *testing.T, ds []*ratelimitv3.RateLimitDescriptor, i int, hits uint64) {
	t.Helper()
	primed := make([]*ratelimitv3.RateLimitDescriptor, len(ds))
	for j, d := range ds {
		primed[j] = proto.CloneOf(d)
		primed[j].HitsAddend = wrapperspb.UInt64(0)
	}
	primed[i].HitsAddend = wrapperspb.UInt64(hits)
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	defer cancel()
	if _, err := s.client.ShouldRateLimit(ctx, &rlsv3.RateLimitRequest{Domain: s.domain, Descriptors: primed}); err != nil {
		t.Fatalf("ShouldRateLimit: %v", err)
	}
}

// counter reads the service's Redis counter for a descriptor in the
// current window (its keys are domain_key_value_..._windowstart).
func (s *service) counter(t *testing.T, d *ratelimitv3.RateLimitDescriptor, unit time.Duration) int {
	t.Helper()
	key := s.domain + "_"
	for _, e := range d.GetEntries() {
		key += e.GetKey() + "_" + e.GetValue() + "_"
	}
	secs := int64(unit / time.Second)
	key += strconv.FormatInt(time.Now().Unix()/secs*secs, 10)
	c := redis.NewClient(&redis.Options{Addr: s.redis})
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	defer cancel()
	n, err := c.Get(ctx, key).Int()
	if err != nil {
		t.Fatalf("read counter %s: %v", key, err)
	}
	return n
}

// limit is what a rule allows, as the service reports it.
type limit struct {
	rule     string
	requests uint32
	unit     rlsv3.RateLimitResponse_RateLimit_Unit
	shadow   bool
}

// status checks the status of descriptor i in resp.
func status(resp *rlsv3.RateLimitResponse, i int, code rlsv3.RateLimitResponse_Code, l limit, remaining uint32) error {
	st := resp.GetStatuses()[i]
	cl := st.GetCurrentLimit()
	if st.GetCode() != code || cl.GetName() != l.rule || cl.GetRequestsPerUnit() != l.requests || cl.GetUnit() != l.unit || st.GetLimitRemaining() != remaining {
		return fmt.Errorf("descriptor %d: got %v %q %d/%v with %d remaining; want %v %q %d/%v with %d remaining",
			i, st.GetCode(), cl.GetName(), cl.GetRequestsPerUnit(), cl.GetUnit(), st.GetLimitRemaining(),
			code, l.rule, l.requests, l.unit, remaining)
	}
	return nil
}

// exhaust primes ds[i] to two below its limit and sends Envoy's request
// three times: OK with 1 left, OK with 0 left, then over the limit, or
// (shadow mode) still OK with 0 left. The other descriptors stay OK.
func (s *service) exhaust(t *testing.T, ds []*ratelimitv3.RateLimitDescriptor, i int, l limit) error {
	t.Helper()
	s.prime(t, ds, i, uint64(l.requests-2))
	last := over
	if l.shadow {
		last = ok
	}
	for n, step := range []struct {
		code      rlsv3.RateLimitResponse_Code
		remaining uint32
	}{{ok, 1}, {ok, 0}, {last, 0}} {
		resp := s.call(t, ds)
		if err := status(resp, i, step.code, l, step.remaining); err != nil {
			return fmt.Errorf("request %d of 3 for rule %s: %w", n+1, l.rule, err)
		}
		if resp.GetOverallCode() != step.code {
			return fmt.Errorf("request %d of 3 for rule %s: overall %v, want %v", n+1, l.rule, resp.GetOverallCode(), step.code)
		}
		for j, st := range resp.GetStatuses() {
			if j != i && st.GetCode() != ok {
				return fmt.Errorf("request %d of 3 for rule %s: descriptor %d (%v) is %v", n+1, l.rule, j, ds[j], st.GetCode())
			}
		}
	}
	return nil
}

// inOneWindow runs attempt, numbered from 0 so it can pick fresh keys. The
// service counts in fixed windows (aligned to the Unix epoch), and a
// window turning over mid-attempt resets its counters: that, and only
// that, earns a retry. Attempts start early in a window; after a
// turn-over, windows up to a minute are also waited out, so that keys an
// attempt cannot vary (a pinned tenant) start from zero.
func inOneWindow(t *testing.T, unit time.Duration, attempt func(n int) error) {
	t.Helper()
	const tries = 3
	secs := int64(unit / time.Second)
	window := func() int64 { return time.Now().Unix() / secs }
	untilNext := func() time.Duration {
		next := time.Unix((window()+1)*secs, 0)
		return time.Until(next) + 20*time.Millisecond
	}
	for n := range tries {
		if left := untilNext(); left < min(unit/2, 5*time.Second) || (n > 0 && unit <= time.Minute) {
			time.Sleep(left)
		}
		start := window()
		err := attempt(n)
		if err == nil {
			return
		}
		if window() == start {
			t.Fatal(err)
		}
		t.Logf("attempt %d crossed a %s window boundary, retrying: %v", n+1, unit, err)
	}
	t.Fatalf("%d attempts each crossed a %s window boundary", tries, unit)
}

// TestQuickstartService runs the quick-start policy's generated
// configuration in the real service and sends what Envoy would send, per
// the generated rate_limits, for requests each rule is about.
func TestQuickstartService(t *testing.T) {
	out, _ := policies()[0].generate(t)
	rls := parseRateLimits(t, out.EnvoyRateLimits)
	svc := startService(t, "edge", out.ServiceConfig)

	perIP := limit{"per-ip", 50, rlsv3.RateLimitResponse_RateLimit_SECOND, false}
	perTenant := limit{"orders-create-per-tenant", 600, rlsv3.RateLimitResponse_RateLimit_MINUTE, false}
	acme := limit{"orders-create-acme", 6000, rlsv3.RateLimitResponse_RateLimit_MINUTE, false}
	docs := limit{"docs-per-ip", 1000, rlsv3.RateLimitResponse_RateLimit_HOUR, true}

	t.Run("per-ip", func(t *testing.T) {
		inOneWindow(t, time.Second, func(n int) error {
			ds := envoyDescriptors(t, rls, request{remote: fmt.Sprintf("198.51.100.%d", 10+n), path: "/healthz"})
			if len(ds) != 1 {
				t.Fatalf("Envoy sends %v; want the client address only", ds)
			}
			if err := svc.exhaust(t, ds, 0, perIP); err != nil {
				return err
			}
			// Another address has its own counter.
			other := envoyDescriptors(t, rls, request{remote: fmt.Sprintf("198.51.100.%d", 110+n), path: "/healthz"})
			return status(svc.call(t, other), 0, ok, perIP, perIP.requests-1)
		})
	})

	t.Run("orders-create-per-tenant", func(t *testing.T) {
		inOneWindow(t, time.Minute, func(n int) error {
			req := request{
				remote:   fmt.Sprintf("198.51.100.%d", 20+n),
				path:     "/api/orders",
				metadata: map[string]string{"route": "orders-create", "tenant": fmt.Sprintf("globex-%d", n)},
			}
			ds := envoyDescriptors(t, rls, req)
			i := find(t, ds, "route", "tenant")
			if err := svc.exhaust(t, ds, i, perTenant); err != nil {
				return err
			}
			// Each tenant has its own counter, and so has a request
			// without one (the default, no-tenant).
			req.metadata["tenant"] = fmt.Sprintf("initech-%d", n)
			if err := status(svc.call(t, envoyDescriptors(t, rls, req)), i, ok, perTenant, perTenant.requests-1); err != nil {
				return fmt.Errorf("another tenant: %w", err)
			}
			delete(req.metadata, "tenant")
			if err := status(svc.call(t, envoyDescriptors(t, rls, req)), i, ok, perTenant, perTenant.requests-1); err != nil {
				return fmt.Errorf("no tenant: %w", err)
			}
			return nil
		})
	})

	t.Run("orders-create-acme", func(t *testing.T) {
		inOneWindow(t, time.Minute, func(n int) error {
			req := request{
				remote:   fmt.Sprintf("198.51.100.%d", 30+n),
				path:     "/api/orders",
				metadata: map[string]string{"route": "orders-create", "tenant": "acme"},
			}
			ds := envoyDescriptors(t, rls, req)
			if err := svc.exhaust(t, ds, find(t, ds, "route", "tenant"), acme); err != nil {
				return err
			}
			// Other routes of the same tenant are not limited by it.
			req.metadata["route"] = "orders-read"
			ds = envoyDescriptors(t, rls, req)
			if err := status(svc.call(t, ds), find(t, ds, "route", "tenant"), ok, limit{}, 0); err != nil {
				return fmt.Errorf("route orders-read: %w", err)
			}
			return nil
		})
	})

	t.Run("docs-per-ip shadow mode", func(t *testing.T) {
		inOneWindow(t, time.Hour, func(n int) error {
			ds := envoyDescriptors(t, rls, request{remote: fmt.Sprintf("198.51.100.%d", 40+n), path: "/docs/intro"})
			if len(ds) != 2 {
				t.Fatalf("Envoy sends %v; want the client address, and /docs/ with it", ds)
			}
			i := find(t, ds, "path_prefix", "remote_address")
			if err := svc.exhaust(t, ds, i, docs); err != nil {
				return err
			}
			// The last request was counted past the limit (the service
			// would have refused it), yet answered OK.
			if got, want := svc.counter(t, ds[i], time.Hour), int(docs.requests)+1; got != want {
				return fmt.Errorf("docs-per-ip counter is %d, want %d", got, want)
			}
			return nil
		})
	})
}

// TestFullService runs the envoyrl fixture that uses every kind of
// descriptor entry: per-user counters and replaces.
func TestFullService(t *testing.T) {
	out, _ := policies()[1].generate(t)
	rls := parseRateLimits(t, out.EnvoyRateLimits)
	svc := startService(t, "edge", out.ServiceConfig)

	daily := limit{"daily-per-subject", 10000, rlsv3.RateLimitResponse_RateLimit_DAY, false}
	perIP := limit{"per-ip", 100, rlsv3.RateLimitResponse_RateLimit_SECOND, false}
	apiKey := limit{"api-key", 1000, rlsv3.RateLimitResponse_RateLimit_MINUTE, false}

	t.Run("daily-per-subject", func(t *testing.T) {
		inOneWindow(t, 24*time.Hour, func(n int) error {
			req := request{
				remote: fmt.Sprintf("198.51.100.%d", 60+n),
				path:   "/api/orders/1",
				metadata: map[string]string{
					"issuer": "https://idp.example.com", "subject": fmt.Sprintf("alice-%d", n),
					"tenant": "umbrella", "route": "orders-read", "auth": "jwt",
				},
			}
			ds := envoyDescriptors(t, rls, req)
			i := find(t, ds, "issuer", "subject", "generic_key")
			if err := svc.exhaust(t, ds, i, daily); err != nil {
				return err
			}
			// Per user: another subject, and the same subject at another
			// issuer, count separately.
			req.metadata["subject"] = fmt.Sprintf("bob-%d", n)
			if err := status(svc.call(t, envoyDescriptors(t, rls, req)), i, ok, daily, daily.requests-1); err != nil {
				return fmt.Errorf("another subject: %w", err)
			}
			req.metadata["subject"] = fmt.Sprintf("alice-%d", n)
			req.metadata["issuer"] = "https://other-idp.example.com"
			if err := status(svc.call(t, envoyDescriptors(t, rls, req)), i, ok, daily, daily.requests-1); err != nil {
				return fmt.Errorf("another issuer: %w", err)
			}
			return nil
		})
	})

	t.Run("api-key replaces per-ip", func(t *testing.T) {
		inOneWindow(t, time.Second, func(n int) error {
			req := request{remote: fmt.Sprintf("198.51.100.%d", 80+n), path: "/healthz"}
			ds := envoyDescriptors(t, rls, req)
			if err := svc.exhaust(t, ds, find(t, ds, "remote_address"), perIP); err != nil {
				return err
			}
			// The same address with an API key: per-ip no longer applies.
			req.headers = map[string]string{"x-api-key": fmt.Sprintf("key-%d", n)}
			ds = envoyDescriptors(t, rls, req)
			resp := svc.call(t, ds)
			if resp.GetOverallCode() != ok {
				return fmt.Errorf("with an API key: overall %v, want OK", resp.GetOverallCode())
			}
			if err := status(resp, find(t, ds, "remote_address"), ok, limit{}, 0); err != nil {
				return fmt.Errorf("with an API key, per-ip: %w", err)
			}
			return status(resp, find(t, ds, "api_key"), ok, apiKey, apiKey.requests-1)
		})
	})
}
