// Package envoy_test proves that every Envoy configuration shipped under
// envoy/ would load in Envoy and keeps the ext_authz contract, using the
// offline checker in envoy/internal/envoycheck.
package envoy_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/martyedge/security/envoy/internal/envoycheck"
)

// shippedConfigs returns every *.yaml under envoy/, outside testdata.
func shippedConfigs(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".yaml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk envoy/: %v", err)
	}
	if len(files) == 0 {
		t.Fatal("no *.yaml found under envoy/: the walk is broken")
	}
	return files
}

// byRule groups findings by rule; anything that is not a *RuleError is
// returned under the empty rule so it cannot go unnoticed.
func byRule(errs []error) map[envoycheck.Rule][]error {
	m := map[envoycheck.Rule][]error{}
	for _, err := range errs {
		var re *envoycheck.RuleError
		if errors.As(err, &re) {
			m[re.Rule] = append(m[re.Rule], err)
		} else {
			m[""] = append(m[""], err)
		}
	}
	return m
}

func TestShippedConfigs(t *testing.T) {
	for _, file := range shippedConfigs(t) {
		t.Run(file, func(t *testing.T) {
			found := byRule(envoycheck.Check(file))
			for _, err := range found[""] {
				t.Errorf("untyped finding: %v", err)
			}
			for _, rule := range envoycheck.Rules() {
				t.Run(string(rule), func(t *testing.T) {
					for _, err := range found[rule] {
						t.Error(err)
					}
				})
			}
		})
	}
}

// brokenFixtures names, for each file in testdata/broken, the one rule it
// must break.
var brokenFixtures = []struct {
	file string
	rule envoycheck.Rule
	want string // substring of the message
}{
	{"unknown-field.yaml", envoycheck.RuleParse, `unknown field "failure_mode_alow"`},
	{"validate-typed-config.yaml", envoycheck.RuleValidate, "ExtAuthzPerRoute.Override"},
	{"duplicate-cluster.yaml", envoycheck.RuleDuplicateCluster, `cluster "app" is defined more than once`},
	{"route-cluster-missing.yaml", envoycheck.RuleRouteCluster, `names cluster "ap"`},
	{"grpc-cluster-missing.yaml", envoycheck.RuleGRPCCluster, `gRPC service names cluster "ext_authz"`},
	{"router-not-last.yaml", envoycheck.RuleRouterLast, "must be the last HTTP filter"},
	{"ratelimit-before-ext-authz.yaml", envoycheck.RuleAuthzBeforeRatelimit, "ratelimit filter runs before ext_authz"},
	{"transport-auto.yaml", envoycheck.RuleAuthzTransport, "transport_api_version is AUTO"},
	{"transport-v2.yaml", envoycheck.RuleAuthzTransport, "transport_api_version is V2"},
	{"failure-mode-allow.yaml", envoycheck.RuleAuthzFailClosed, "failure_mode_allow is true"},
	{"ratelimit-transport.yaml", envoycheck.RuleRatelimitTransport, "rate limit service transport_api_version is AUTO"},
	{"per-route-wrong-type.yaml", envoycheck.RulePerFilterType, "is envoy.extensions.filters.http.ext_authz.v3.ExtAuthz; want envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute"},
	{"per-filter-unknown-key.yaml", envoycheck.RulePerFilterKey, `key "envoy.filters.http.extauthz" names no HTTP filter`},
}

// TestBrokenFixturesFail proves each rule can fail: every broken fixture
// yields findings of its rule and of no other (they are single-fault copies
// of testdata/valid/minimal.yaml, which must pass).
func TestBrokenFixturesFail(t *testing.T) {
	t.Run("control/minimal.yaml", func(t *testing.T) {
		for _, err := range envoycheck.Check(filepath.Join("testdata", "valid", "minimal.yaml")) {
			t.Error(err)
		}
	})
	for _, tc := range brokenFixtures {
		t.Run(tc.file+"/"+string(tc.rule), func(t *testing.T) {
			errs := envoycheck.Check(filepath.Join("testdata", "broken", tc.file))
			if len(errs) == 0 {
				t.Fatalf("no findings; want rule %s", tc.rule)
			}
			matched := false
			for _, err := range errs {
				var re *envoycheck.RuleError
				if !errors.As(err, &re) || re.Rule != tc.rule {
					t.Errorf("unexpected finding: %v", err)
					continue
				}
				if !strings.Contains(err.Error(), "["+string(tc.rule)+"]") {
					t.Errorf("message does not name its rule: %v", err)
				}
				if strings.Contains(re.Msg, tc.want) {
					matched = true
				}
			}
			if !matched {
				t.Errorf("no finding says %q; got %v", tc.want, errs)
			}
		})
	}
}

// TestBrokenFixturesCoverage keeps the table and the directory in step, and
// makes sure every rule has a fixture that breaks it.
func TestBrokenFixturesCoverage(t *testing.T) {
	onDisk, err := filepath.Glob(filepath.Join("testdata", "broken", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range onDisk {
		onDisk[i] = filepath.Base(p)
	}
	inTable := make([]string, 0, len(brokenFixtures))
	covered := map[envoycheck.Rule]bool{}
	for _, tc := range brokenFixtures {
		inTable = append(inTable, tc.file)
		covered[tc.rule] = true
	}
	slices.Sort(onDisk)
	slices.Sort(inTable)
	if !slices.Equal(onDisk, inTable) {
		t.Errorf("testdata/broken has %v; the table lists %v", onDisk, inTable)
	}
	for _, rule := range envoycheck.Rules() {
		if !covered[rule] {
			t.Errorf("rule %s has no broken fixture", rule)
		}
	}
}
