package ratelimit

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	rlconfig "github.com/envoyproxy/ratelimit/src/config"
	"github.com/envoyproxy/ratelimit/src/settings"
	"github.com/envoyproxy/ratelimit/src/stats"
	gostats "github.com/lyft/gostats"

	"github.com/martyedge/security/pkg/limits"
)

// loadServiceConfig loads one configuration file with envoyproxy/ratelimit's
// own loader, the code its server and its config_check_cmd run. The loader
// reports errors by panicking with a RateLimitConfigError; they come back
// as errors here.
func loadServiceConfig(name string, content []byte) (cfg rlconfig.RateLimitConfig, err error) {
	defer func() {
		switch r := recover().(type) {
		case nil:
		case rlconfig.RateLimitConfigError:
			err = r
		default:
			err = fmt.Errorf("ratelimit's loader panicked: %v", r)
		}
	}()
	// The loader only reads ExtraTags from the settings. The zero value
	// (no tags) rather than settings.NewSettings(), which would parse
	// every PORT, REDIS_* ... variable of the environment running the test.
	manager := stats.NewStatManager(gostats.NewStore(gostats.NewNullSink(), false), settings.Settings{})
	root := rlconfig.ConfigFileContentToYaml(name, string(content))
	return rlconfig.NewRateLimitConfigImpl(
		[]rlconfig.RateLimitConfigToLoad{{Name: name, ConfigYaml: root}}, manager, false), nil
}

// anyValue stands for a request's value where a node matches any value; no
// fixture pins it.
const anyValue = "any-value-7f3a"

// checkRules asks the loaded configuration, through the service's own
// GetLimit, for the limit of a descriptor ending at every node of the plan
// that carries a rule, and returns a finding naming the rule for each
// answer that is not that rule's limit.
func checkRules(ctx context.Context, cfg rlconfig.RateLimitConfig, p *limits.Plan) []error {
	var errs []error
	var walk func(path []*ratelimitv3.RateLimitDescriptor_Entry, nodes []*limits.Descriptor)
	walk = func(path []*ratelimitv3.RateLimitDescriptor_Entry, nodes []*limits.Descriptor) {
		for _, n := range nodes {
			v := n.Value
			if v == "" {
				v = anyValue
			}
			here := append(path[:len(path):len(path)], &ratelimitv3.RateLimitDescriptor_Entry{Key: n.Key, Value: v})
			if r := n.Rule; r != nil {
				if err := sameLimit(r, cfg.GetLimit(ctx, p.Domain, &ratelimitv3.RateLimitDescriptor{Entries: here})); err != nil {
					errs = append(errs, fmt.Errorf("rule %q, descriptor %s: %w", r.Name, entries(here), err))
				}
			}
			walk(here, n.Descriptors)
		}
	}
	walk(nil, p.Descriptors)
	return errs
}

func sameLimit(r *limits.Rule, got *rlconfig.RateLimit) error {
	switch {
	case got == nil:
		return fmt.Errorf("the service has no limit for it")
	case got.Name != r.Name:
		return fmt.Errorf("the service applies rule %q", got.Name)
	case got.Unlimited != r.Unlimited:
		return fmt.Errorf("the service says unlimited=%t", got.Unlimited)
	case got.ShadowMode != r.ShadowMode:
		return fmt.Errorf("the service says shadow_mode=%t", got.ShadowMode)
	}
	if r.Limit != nil {
		if got.Limit.GetRequestsPerUnit() != uint32(r.Limit.Requests) || !strings.EqualFold(got.Limit.GetUnit().String(), r.Limit.Unit) {
			return fmt.Errorf("the service allows %d per %s, want %d per %s",
				got.Limit.GetRequestsPerUnit(), got.Limit.GetUnit(), r.Limit.Requests, r.Limit.Unit)
		}
	}
	return nil
}

// entries formats a descriptor as (key, value), ...
func entries(es []*ratelimitv3.RateLimitDescriptor_Entry) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = fmt.Sprintf("(%s, %s)", e.GetKey(), e.GetValue())
	}
	return strings.Join(parts, ", ")
}

// TestServiceConfigLoads loads each generated configuration, and each
// committed golden copy, with the service's loader, and checks that every
// rule is what the service applies to its descriptor.
func TestServiceConfigLoads(t *testing.T) {
	for _, pol := range policies() {
		t.Run(pol.name, func(t *testing.T) {
			out, plan := pol.generate(t)
			cfg, err := loadServiceConfig(pol.name+"/ratelimit.yaml", out.ServiceConfig)
			if err != nil {
				t.Fatalf("envoyproxy/ratelimit rejects the config generated from %s: %v\n%s", pol.path, err, out.ServiceConfig)
			}
			for _, err := range checkRules(t.Context(), cfg, plan) {
				t.Error(err)
			}
		})
	}
	golden, err := filepath.Glob(filepath.Join(repoRoot, "pkg", "limits", "envoyrl", "testdata", "*", "ratelimit.yaml"))
	if err != nil || len(golden) == 0 {
		t.Fatalf("no golden ratelimit.yaml under pkg/limits/envoyrl/testdata (%v)", err)
	}
	for _, path := range golden {
		t.Run("golden/"+filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			if _, err := loadServiceConfig(path, readFile(t, path)); err != nil {
				t.Fatalf("envoyproxy/ratelimit rejects %s: %v", path, err)
			}
		})
	}
}

// TestServiceConfigCheckFails proves both checks can fail: hand-broken
// copies of the generated quick-start configuration.
func TestServiceConfigCheckFails(t *testing.T) {
	quickstart := policies()[0]
	out, plan := quickstart.generate(t)
	generated := string(out.ServiceConfig)

	loadErrors := []struct {
		name     string
		old, new string
		want     string // in the loader's message
	}{
		{"misspelt key", "requests_per_unit: 50", "requests_per_unt: 50", "unknown key 'requests_per_unt'"},
		{"bad unit", "unit: hour", "unit: hours", "invalid rate limit unit 'hours'"},
		{"unlimited with unit", "name: per-ip\n", "name: per-ip\n      unlimited: true\n", "should not specify rate limit unit when unlimited"},
		{"duplicate key", "  - key: route\n    value: orders-create\n", "  - key: remote_address\n", "duplicate descriptor composite key 'edge.remote_address'"},
		{"not YAML", "domain: edge", "domain: [edge", "error loading config file"},
	}
	for _, tc := range loadErrors {
		t.Run("load/"+tc.name, func(t *testing.T) {
			broken := replaceOnce(t, generated, tc.old, tc.new)
			_, err := loadServiceConfig("broken.yaml", []byte(broken))
			if err == nil {
				t.Fatalf("the loader accepts:\n%s", broken)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "broken.yaml: ") {
				t.Errorf("error %q; want it to name the file and say %q", err, tc.want)
			}
		})
	}

	ruleErrors := []struct {
		name     string
		old, new string
		want     string
	}{
		{"renamed rule", "name: per-ip", "name: per-ip-v2", `rule "per-ip", descriptor (remote_address, any-value-7f3a): the service applies rule "per-ip-v2"`},
		{"other limit", "requests_per_unit: 600\n", "requests_per_unit: 60\n", `rule "orders-create-per-tenant", descriptor (route, orders-create), (tenant, any-value-7f3a): the service allows 60 per MINUTE, want 600 per minute`},
		{"shadow mode lost", "        shadow_mode: true\n", "", `rule "docs-per-ip", descriptor (path_prefix, /docs/), (remote_address, any-value-7f3a): the service says shadow_mode=false`},
		{"pinned value lost", "value: acme", "value: acne", `rule "orders-create-acme", descriptor (route, orders-create), (tenant, acme): the service applies rule "orders-create-per-tenant"`},
	}
	for _, tc := range ruleErrors {
		t.Run("rules/"+tc.name, func(t *testing.T) {
			broken := replaceOnce(t, generated, tc.old, tc.new)
			cfg, err := loadServiceConfig("broken.yaml", []byte(broken))
			if err != nil {
				t.Fatalf("the loader rejects the broken copy: %v", err)
			}
			errs := checkRules(t.Context(), cfg, plan)
			if len(errs) != 1 || errs[0].Error() != tc.want {
				t.Errorf("findings %q; want exactly %q", errs, tc.want)
			}
		})
	}
}

// replaceOnce replaces the single occurrence of old, failing the test if
// there is not exactly one: a broken fixture that breaks nothing proves
// nothing.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("%q occurs %d times in the generated config; want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}
