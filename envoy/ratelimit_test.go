package envoy_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/martyedge/security/envoy/internal/envoycheck"
	"github.com/martyedge/security/pkg/limits/envoyrl"
	"github.com/martyedge/security/pkg/rbac"
)

// envoy/ratelimit.yaml is sidecar.yaml plus global rate limiting. These
// tests pin what it adds, keep its rate_limits equal to what the
// quick-start policy generates, and keep the rest equal to sidecar.yaml.

const (
	ratelimitFile   = "ratelimit.yaml"
	ratelimitFilter = "envoy.filters.http.ratelimit"
	regenerate      = "go run ./cmd/ratelimit-config --policy examples/quickstart/policy.yaml --out /tmp/rl, then paste /tmp/rl/envoy-rate-limits.yaml into the virtual host"
)

// loadBootstrap returns the file's bootstrap and its one HTTP connection
// manager (decoded from the bootstrap, which keeps the original Any).
func loadBootstrap(t *testing.T, file string) (*bootstrapv3.Bootstrap, *hcmv3.HttpConnectionManager) {
	t.Helper()
	b, err := envoycheck.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	ls := b.GetStaticResources().GetListeners()
	if len(ls) != 1 || len(ls[0].GetFilterChains()) != 1 || len(ls[0].GetFilterChains()[0].GetFilters()) != 1 {
		t.Fatalf("%s: want one listener with one filter chain and one network filter", file)
	}
	var hcm hcmv3.HttpConnectionManager
	if err := ls[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(&hcm); err != nil {
		t.Fatalf("%s: network filter is not an HttpConnectionManager: %v", file, err)
	}
	return b, &hcm
}

// TestRatelimitRateLimitsGenerated fails when the virtual host's
// rate_limits are not what ratelimit-config generates from the quick-start
// policy today, or the filter's domain is not the policy's.
func TestRatelimitRateLimitsGenerated(t *testing.T) {
	pol, err := rbac.Load(filepath.Join("..", "examples", "quickstart", "policy.yaml"), "production")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pol.RateLimits().Global.Plan()
	if err != nil {
		t.Fatal(err)
	}
	want := envoyrl.RateLimits(plan)

	_, hcm := loadBootstrap(t, ratelimitFile)
	vhs := hcm.GetRouteConfig().GetVirtualHosts()
	if len(vhs) != 1 {
		t.Fatalf("want one virtual host, got %d", len(vhs))
	}
	got := vhs[0].GetRateLimits()
	if len(got) != len(want) {
		t.Fatalf("the virtual host has %d rate_limits; the policy generates %d. Regenerate: %s", len(got), len(want), regenerate)
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("rate_limits[%d] (rules %v) differs from the generated one. Regenerate: %s\n got: %s\nwant: %s",
				i, plan.RateLimits[i].Rules, regenerate, protojson.Format(got[i]), protojson.Format(want[i]))
		}
	}
	for _, r := range vhs[0].GetRoutes() {
		if len(r.GetRoute().GetRateLimits()) > 0 {
			t.Errorf("route %s has rate_limits of its own: it would ignore the generated ones", r.GetName())
		}
	}

	if rl := ratelimitConfig(t, hcm); rl.GetDomain() != plan.Domain {
		t.Errorf("ratelimit filter domain = %q; the policy's rate_limits.global.domain is %q", rl.GetDomain(), plan.Domain)
	}
}

// ratelimitConfig returns the ratelimit filter's config, checking that the
// filter sits between ext_authz and the router.
func ratelimitConfig(t *testing.T, hcm *hcmv3.HttpConnectionManager) *ratelimitv3.RateLimit {
	t.Helper()
	var names []string
	for _, f := range hcm.GetHttpFilters() {
		names = append(names, f.GetName())
	}
	want := []string{"envoy.filters.http.ext_authz", ratelimitFilter, "envoy.filters.http.router"}
	if len(names) != len(want) || names[0] != want[0] || names[1] != want[1] || names[2] != want[2] {
		t.Fatalf("http_filters = %v, want %v", names, want)
	}
	var rl ratelimitv3.RateLimit
	if err := hcm.GetHttpFilters()[1].GetTypedConfig().UnmarshalTo(&rl); err != nil {
		t.Fatalf("ratelimit filter config: %v", err)
	}
	return &rl
}

func TestRatelimitFilter(t *testing.T) {
	b, hcm := loadBootstrap(t, ratelimitFile)
	rl := ratelimitConfig(t, hcm)
	if got := rl.GetRateLimitService().GetGrpcService().GetEnvoyGrpc().GetClusterName(); got != "ratelimit" {
		t.Errorf("rate limit service cluster = %q, want ratelimit", got)
	}
	if got := rl.GetTimeout().AsDuration(); got != 50*time.Millisecond {
		t.Errorf("timeout = %v, want 50ms", got)
	}
	if rl.GetFailureModeDeny() || rl.GetFailureModeDenyPercent() != nil {
		t.Error("the ratelimit filter fails closed: a limiter outage would refuse every request")
	}
	if got := rl.GetEnableXRatelimitHeaders(); got != ratelimitv3.RateLimit_OFF {
		t.Errorf("enable_x_ratelimit_headers = %v; ext_authz owns x-ratelimit-* (per-user limits)", got)
	}
	if rl.GetDisableXEnvoyRatelimitedHeader() || rl.GetRateLimitedStatus() != nil {
		t.Error("a global limit must answer 429 with x-envoy-ratelimited")
	}
	// transport_api_version V3 is a rule in envoycheck.

	var healthz bool
	for _, r := range hcm.GetRouteConfig().GetVirtualHosts()[0].GetRoutes() {
		a, ok := r.GetTypedPerFilterConfig()[ratelimitFilter]
		if r.GetName() != "healthz" {
			if ok {
				t.Errorf("route %s has ratelimit per-route config", r.GetName())
			}
			continue
		}
		var pr ratelimitv3.RateLimitPerRoute
		if !ok || a.UnmarshalTo(&pr) != nil || pr.GetVhRateLimits() != ratelimitv3.RateLimitPerRoute_IGNORE {
			t.Error("healthz does not ignore the virtual host's rate limits: probes could get 429")
		}
		healthz = true
	}
	if !healthz {
		t.Error("no healthz route")
	}

	for _, c := range b.GetStaticResources().GetClusters() {
		if c.GetName() != "ratelimit" {
			continue
		}
		var opts upstreamhttpv3.HttpProtocolOptions
		if err := c.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].UnmarshalTo(&opts); err != nil {
			t.Fatalf("HttpProtocolOptions: %v", err)
		}
		if opts.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
			t.Error("ratelimit cluster does not force HTTP/2; gRPC needs it")
		}
		if hc := c.GetHealthChecks(); len(hc) != 1 || hc[0].GetGrpcHealthCheck().GetServiceName() != "ratelimit" {
			t.Error(`ratelimit cluster has no gRPC health check of service "ratelimit"`)
		}
		return
	}
	t.Fatal("no ratelimit cluster")
}

// TestRatelimitIsSidecarPlusRateLimits removes what ratelimit.yaml adds and
// wants sidecar.yaml back, so a change to the sidecar (a security fix, a
// route) cannot be forgotten here.
func TestRatelimitIsSidecarPlusRateLimits(t *testing.T) {
	sidecar, sidecarHCM := loadBootstrap(t, "sidecar.yaml")
	b, hcm := loadBootstrap(t, ratelimitFile)

	// The connection manager, decoded: without the ratelimit filter, the
	// virtual host's rate_limits and the per-route ratelimit configs.
	hcm.HttpFilters = append(hcm.HttpFilters[:1:1], hcm.HttpFilters[2:]...)
	vh := hcm.GetRouteConfig().GetVirtualHosts()[0]
	vh.RateLimits = nil
	for _, r := range vh.GetRoutes() {
		delete(r.GetTypedPerFilterConfig(), ratelimitFilter)
		if len(r.GetTypedPerFilterConfig()) == 0 {
			r.TypedPerFilterConfig = nil
		}
	}
	if !proto.Equal(hcm, sidecarHCM) {
		t.Errorf("ratelimit.yaml's connection manager, without the rate-limit additions, differs from sidecar.yaml's:\n got: %s\nwant: %s",
			protojson.Format(hcm), protojson.Format(sidecarHCM))
	}

	// The rest: without the node id and the ratelimit cluster, and with
	// the connection manager compared above.
	b.Node = sidecar.GetNode()
	b.StaticResources.Clusters = slices.DeleteFunc(b.StaticResources.Clusters, func(c *clusterv3.Cluster) bool {
		return c.GetName() == "ratelimit"
	})
	b.StaticResources.Listeners[0].FilterChains[0].Filters[0] = sidecar.StaticResources.Listeners[0].FilterChains[0].Filters[0]
	if !proto.Equal(b, sidecar) {
		t.Errorf("ratelimit.yaml, without the rate-limit additions, differs from sidecar.yaml:\n got: %s\nwant: %s",
			protojson.Format(b), protojson.Format(sidecar))
	}
}
