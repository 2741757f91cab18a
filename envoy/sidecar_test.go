package envoy_test

import (
	"maps"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/martyedge/security/envoy/internal/envoycheck"
)

// The sidecar's security-relevant settings are pinned here: the rules in
// envoycheck only prove the file loads and is consistent, not that it still
// says what the authz server expects.

func loadSidecar(t *testing.T) (*bootstrapv3.Bootstrap, *hcmv3.HttpConnectionManager) {
	t.Helper()
	b, err := envoycheck.Load("sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ls := b.GetStaticResources().GetListeners()
	if len(ls) != 1 || len(ls[0].GetFilterChains()) != 1 || len(ls[0].GetFilterChains()[0].GetFilters()) != 1 {
		t.Fatalf("want one listener with one filter chain and one network filter")
	}
	var hcm hcmv3.HttpConnectionManager
	if err := ls[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(&hcm); err != nil {
		t.Fatalf("network filter is not an HttpConnectionManager: %v", err)
	}
	return b, &hcm
}

func TestSidecarAddresses(t *testing.T) {
	b, _ := loadSidecar(t)
	clusterAddr := map[string]*corev3.SocketAddress{}
	for _, c := range b.GetStaticResources().GetClusters() {
		eps := c.GetLoadAssignment().GetEndpoints()
		if len(eps) == 1 && len(eps[0].GetLbEndpoints()) == 1 {
			clusterAddr[c.GetName()] = eps[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
		}
	}
	tests := []struct {
		name string
		got  *corev3.SocketAddress
		host string
		port uint32
	}{
		{"listener", b.GetStaticResources().GetListeners()[0].GetAddress().GetSocketAddress(), "0.0.0.0", 8080},
		{"admin is loopback only", b.GetAdmin().GetAddress().GetSocketAddress(), "127.0.0.1", 9901},
		{"cluster extauthz", clusterAddr["extauthz"], "127.0.0.1", 9001},
		{"cluster local_app", clusterAddr["local_app"], "127.0.0.1", 8081},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got.GetAddress() != tc.host || tc.got.GetPortValue() != tc.port {
				t.Errorf("address = %s:%d, want %s:%d", tc.got.GetAddress(), tc.got.GetPortValue(), tc.host, tc.port)
			}
		})
	}
}

func TestSidecarAuthzCluster(t *testing.T) {
	b, _ := loadSidecar(t)
	for _, c := range b.GetStaticResources().GetClusters() {
		if c.GetName() != "extauthz" {
			continue
		}
		var opts upstreamhttpv3.HttpProtocolOptions
		if err := c.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].UnmarshalTo(&opts); err != nil {
			t.Fatalf("HttpProtocolOptions: %v", err)
		}
		if opts.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
			t.Error("extauthz cluster does not force HTTP/2; gRPC needs it")
		}
		hc := c.GetHealthChecks()
		if len(hc) != 1 || hc[0].GetGrpcHealthCheck() == nil {
			t.Error("extauthz cluster has no gRPC health check")
		}
		return
	}
	t.Fatal("no extauthz cluster")
}

func TestSidecarConnectionManager(t *testing.T) {
	_, hcm := loadSidecar(t)
	if !hcm.GetNormalizePath().GetValue() || !hcm.GetMergeSlashes() ||
		hcm.GetPathWithEscapedSlashesAction() != hcmv3.HttpConnectionManager_UNESCAPE_AND_REDIRECT {
		t.Error("path normalisation is not fully on: /docs/../admin could skip the check")
	}
	if !hcm.GetUseRemoteAddress().GetValue() {
		t.Error("use_remote_address is off")
	}
	if g := hcm.GetGenerateRequestId(); g != nil && !g.GetValue() {
		t.Error("request id generation is off")
	}

	filters := hcm.GetHttpFilters()
	if len(filters) == 0 || filters[0].GetName() != "envoy.filters.http.ext_authz" {
		t.Fatal("ext_authz is not the first HTTP filter")
	}
	var az extauthzv3.ExtAuthz
	if err := filters[0].GetTypedConfig().UnmarshalTo(&az); err != nil {
		t.Fatalf("ext_authz config: %v", err)
	}
	gs := az.GetGrpcService()
	if got := gs.GetEnvoyGrpc().GetClusterName(); got != "extauthz" {
		t.Errorf("ext_authz cluster = %q, want extauthz", got)
	}
	if got := gs.GetTimeout().AsDuration(); got != 200*time.Millisecond {
		t.Errorf("ext_authz timeout = %v, want 200ms (the server's latency budget)", got)
	}
	if got := az.GetStatusOnError().GetCode(); got != typev3.StatusCode_ServiceUnavailable {
		t.Errorf("status_on_error = %v, want 503", got)
	}
	if !az.GetIncludePeerCertificate() {
		t.Error("include_peer_certificate is off")
	}
	if az.GetWithRequestBody() != nil {
		t.Error("with_request_body is set; the policy does not read bodies")
	}
	// transport_api_version and failure_mode_allow are rules in envoycheck.
}

func TestSidecarRoutes(t *testing.T) {
	_, hcm := loadSidecar(t)
	vhs := hcm.GetRouteConfig().GetVirtualHosts()
	if len(vhs) != 1 {
		t.Fatalf("want one virtual host, got %d", len(vhs))
	}
	routes := map[string]*routev3.Route{}
	for _, r := range vhs[0].GetRoutes() {
		routes[r.GetName()] = r
	}
	if rs := vhs[0].GetRoutes(); rs[len(rs)-1].GetName() != "default" {
		t.Error("the catch-all route is not last: routes after it are unreachable")
	}

	tests := []struct {
		route    string
		method   string // :method header matcher, "" for none
		disabled bool
		ext      map[string]string // want context_extensions; nil for no per-route config
	}{
		{route: "healthz", disabled: true},
		{route: "docs", disabled: true},
		{route: "orders-read", method: "GET", ext: map[string]string{"permission": "orders:read"}},
		{route: "orders-write", method: "POST", ext: map[string]string{"permission": "orders:write"}},
		{route: "admin", ext: map[string]string{"permission": "admin:access"}},
		{route: "default"},
	}
	for _, tc := range tests {
		t.Run(tc.route, func(t *testing.T) {
			r, ok := routes[tc.route]
			if !ok {
				t.Fatal("route missing")
			}
			if r.GetRoute().GetCluster() != "local_app" {
				t.Errorf("cluster = %q, want local_app", r.GetRoute().GetCluster())
			}
			var method string
			for _, h := range r.GetMatch().GetHeaders() {
				if h.GetName() == ":method" {
					method = h.GetStringMatch().GetExact()
				}
			}
			if method != tc.method {
				t.Errorf(":method matcher = %q, want %q", method, tc.method)
			}
			a, ok := r.GetTypedPerFilterConfig()["envoy.filters.http.ext_authz"]
			if !tc.disabled && tc.ext == nil {
				if ok || len(r.GetTypedPerFilterConfig()) > 0 {
					t.Error("has per-route config; want none, so the server's route table decides")
				}
				return
			}
			var pr extauthzv3.ExtAuthzPerRoute
			if !ok || a.UnmarshalTo(&pr) != nil {
				t.Fatal("no ExtAuthzPerRoute under envoy.filters.http.ext_authz")
			}
			if pr.GetDisabled() != tc.disabled {
				t.Errorf("disabled = %v, want %v", pr.GetDisabled(), tc.disabled)
			}
			if got := pr.GetCheckSettings().GetContextExtensions(); !maps.Equal(got, tc.ext) {
				t.Errorf("context_extensions = %v, want %v", got, tc.ext)
			}
		})
	}
}
