package envoyrl

import (
	"regexp"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	sigsyaml "sigs.k8s.io/yaml"
)

// parseEnvoyConfig reads a generated envoy-rate-limits.yaml the way
// Envoy reads YAML config: YAML to JSON, then protojson into the proto,
// unknown fields rejected. The document is a VirtualHost fragment (only
// rate_limits); each entry must pass the proto's validation rules.
func parseEnvoyConfig(t *testing.T, data []byte) []*routev3.RateLimit {
	t.Helper()
	js, err := sigsyaml.YAMLToJSONStrict(data)
	if err != nil {
		t.Fatalf("Envoy config: %v", err)
	}
	var vh routev3.VirtualHost
	if err := protojson.Unmarshal(js, &vh); err != nil {
		t.Fatalf("Envoy config: %v", err)
	}
	for i, rl := range vh.GetRateLimits() {
		if err := rl.ValidateAll(); err != nil {
			t.Errorf("Envoy config: rate_limits[%d]: %v", i, err)
		}
	}
	return vh.GetRateLimits()
}

func TestEnvoyConfig(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			p, err := f.load(t).Plan()
			if err != nil {
				t.Fatal(err)
			}
			want := RateLimits(p)
			for i, rl := range want {
				if err := rl.ValidateAll(); err != nil {
					t.Errorf("RateLimits()[%d]: %v", i, err)
				}
			}
			data, err := EnvoyConfig(p)
			if err != nil {
				t.Fatal(err)
			}
			got := parseEnvoyConfig(t, data)
			if len(got) != len(want) {
				t.Fatalf("file has %d rate_limits, want %d", len(got), len(want))
			}
			for i := range got {
				if !proto.Equal(got[i], want[i]) {
					t.Errorf("rate_limits[%d] read back as %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestPathPrefixMatcher checks the :path matchers against the
// segment-aware prefixes of policy routes. Envoy matches safe_regex
// against the whole value.
func TestPathPrefixMatcher(t *testing.T) {
	tests := []struct {
		prefix, path string
		want         bool
	}{
		{"/api/orders", "/api/orders", true},
		{"/api/orders", "/api/orders/42", true},
		{"/api/orders", "/api/orders?limit=5", true},
		{"/api/orders", "/api/ordersX", false},
		{"/api/orders", "/api/order", false},
		{"/api/orders", "/v2/api/orders", false},
		{"/api/v1.0", "/api/v1x0", false}, // the dot is literal
		{"/docs/", "/docs/index.html", true},
		{"/docs/", "/docs/", true},
		{"/docs/", "/docs", false},
	}
	for _, tt := range tests {
		m := pathPrefixMatcher(tt.prefix)
		if err := m.ValidateAll(); err != nil {
			t.Errorf("matcher for %q: %v", tt.prefix, err)
		}
		var got bool
		switch {
		case m.GetPrefix() != "":
			got = len(tt.path) >= len(m.GetPrefix()) && tt.path[:len(m.GetPrefix())] == m.GetPrefix()
		case m.GetSafeRegex() != nil:
			got = regexp.MustCompile(`^(?:` + m.GetSafeRegex().GetRegex() + `)$`).MatchString(tt.path)
		default:
			t.Fatalf("unexpected matcher %v", m)
		}
		if got != tt.want || got != underPrefix(tt.path, tt.prefix) {
			t.Errorf("prefix %q, path %q: matcher says %v, want %v", tt.prefix, tt.path, got, tt.want)
		}
	}
}
