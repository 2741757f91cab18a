package envoycheck

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

// Rule identifies one check. Its string form appears in every error.
type Rule string

// The rules, in the order they are applied.
const (
	// RuleParse: the file is not YAML, has a duplicate key, an unknown field
	// or a typed_config whose type is not known.
	RuleParse Rule = "parse"
	// RuleValidate: a protoc-gen-validate constraint of the bootstrap or of an
	// unpacked typed config failed.
	RuleValidate Rule = "validate"
	// RuleDuplicateCluster: two static clusters share a name (Envoy refuses
	// to start).
	RuleDuplicateCluster Rule = "duplicate-cluster"
	// RuleRouteCluster: a route, weighted cluster, mirror policy or tcp_proxy
	// names a cluster that is not defined (its traffic would get 503 or be
	// dropped).
	RuleRouteCluster Rule = "route-cluster"
	// RuleGRPCCluster: a gRPC service's envoy_grpc.cluster_name is not a
	// defined cluster. Envoy loads such a config; every call then fails.
	RuleGRPCCluster Rule = "grpc-cluster"
	// RuleRouterLast: the router filter is not the last HTTP filter of a
	// connection manager (Envoy refuses to start).
	RuleRouterLast Rule = "router-last"
	// RuleAuthzBeforeRatelimit: a ratelimit filter runs before ext_authz, so
	// it cannot see the authz decision's dynamic metadata and rate-limits
	// unauthenticated traffic by the wrong key.
	RuleAuthzBeforeRatelimit Rule = "authz-before-ratelimit"
	// RuleAuthzTransport: ext_authz transport_api_version is not V3 (Envoy
	// refuses AUTO and V2 for a gRPC service).
	RuleAuthzTransport Rule = "authz-transport"
	// RuleAuthzFailClosed: ext_authz would let requests through without a
	// decision (failure_mode_allow or shadow_mode). Project policy.
	RuleAuthzFailClosed Rule = "authz-fail-closed"
	// RuleRatelimitTransport: a rate limit service's transport_api_version is
	// not V3 (Envoy refuses to start).
	RuleRatelimitTransport Rule = "ratelimit-transport"
	// RulePerFilterKey: a typed_per_filter_config key names no HTTP filter of
	// its connection manager. Envoy silently ignores it, so a route meant to
	// be public or to carry a permission would not be.
	RulePerFilterKey Rule = "per-filter-key"
	// RulePerFilterType: a typed_per_filter_config value has a type the named
	// filter does not take per route (e.g. ExtAuthz instead of
	// ExtAuthzPerRoute); Envoy refuses to start.
	RulePerFilterType Rule = "per-filter-type"
)

// Rules returns every rule, in the order they are applied.
func Rules() []Rule {
	return []Rule{
		RuleParse, RuleValidate, RuleDuplicateCluster, RuleRouteCluster,
		RuleGRPCCluster, RuleRouterLast, RuleAuthzBeforeRatelimit,
		RuleAuthzTransport, RuleAuthzFailClosed, RuleRatelimitTransport,
		RulePerFilterKey, RulePerFilterType,
	}
}

// RuleError is one finding.
type RuleError struct {
	File  string // as given to Check or CheckBytes
	Line  int    // 1-based YAML line when known, else 0
	Field string // proto field path, e.g. static_resources.clusters[1](extauthz)
	Rule  Rule
	Msg   string
}

func (e *RuleError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	fmt.Fprintf(&b, ": %s [%s]", e.Msg, e.Rule)
	return b.String()
}

// Check reads the Envoy bootstrap at path and returns every finding, or nil
// when the file passes all rules.
func Check(path string) []error {
	data, err := os.ReadFile(path)
	if err != nil {
		return []error{&RuleError{File: path, Rule: RuleParse, Msg: err.Error()}}
	}
	return CheckBytes(path, data)
}

// CheckBytes is Check for a bootstrap already in memory; name is used in
// the errors.
func CheckBytes(name string, data []byte) []error {
	b, err := parse(name, data)
	if err != nil {
		return []error{err}
	}
	c := &checker{file: name, clusters: map[string]bool{}}
	c.validate("", b)
	c.collectClusters(b)
	c.walk(b.ProtoReflect(), "")
	return c.errs
}

// Load parses the bootstrap at path strictly (pass 1 only), for tests that
// assert on the content of a shipped config.
func Load(path string) (*bootstrapv3.Bootstrap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load envoy config: %w", err)
	}
	b, rerr := parse(path, data)
	if rerr != nil {
		return nil, rerr
	}
	return b, nil
}

// protojson reports positions in the JSON we generated, which mean nothing
// to the author of the YAML.
var (
	jsonPos      = regexp.MustCompile(`\(line \d+:\d+\): `)
	unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)
)

func parse(name string, data []byte) (*bootstrapv3.Bootstrap, *RuleError) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, &RuleError{File: name, Rule: RuleParse, Msg: err.Error()}
	}
	var b bootstrapv3.Bootstrap
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(js, &b); err != nil {
		msg := jsonPos.ReplaceAllString(err.Error(), "")
		e := &RuleError{File: name, Rule: RuleParse, Msg: msg}
		if m := unknownField.FindStringSubmatch(msg); m != nil {
			e.Line = uniqueKeyLine(data, m[1])
		}
		return nil, e
	}
	return &b, nil
}

// uniqueKeyLine returns the line of the YAML key, if it occurs exactly once
// (block or flow style); a guess at one of several places would mislead more
// than no line at all.
func uniqueKeyLine(data []byte, key string) int {
	re := regexp.MustCompile(`(?:^|[\s{,])["']?` + regexp.QuoteMeta(key) + `["']?\s*:`)
	line := 0
	for i, l := range strings.Split(string(data), "\n") {
		switch n := len(re.FindAllStringIndex(l, -1)); {
		case n == 0:
		case n > 1 || line != 0:
			return 0
		default:
			line = i + 1
		}
	}
	return line
}

// checker accumulates findings for one file.
type checker struct {
	file string
	errs []error
	// clusters holds the static cluster names; dynamicClusters is set when
	// CDS may add more, and cluster references cannot be checked.
	clusters        map[string]bool
	dynamicClusters bool
}

func (c *checker) add(rule Rule, field, format string, args ...any) {
	c.errs = append(c.errs, &RuleError{File: c.file, Field: field, Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// validator is implemented by every message generated with
// protoc-gen-validate.
type validator interface{ ValidateAll() error }

// validate runs m's ValidateAll and records each violation separately.
func (c *checker) validate(field string, m any) {
	v, ok := m.(validator)
	if !ok {
		return
	}
	err := v.ValidateAll()
	if err == nil {
		return
	}
	var multi interface{ AllErrors() []error }
	if errors.As(err, &multi) {
		for _, e := range multi.AllErrors() {
			c.add(RuleValidate, field, "%v", e)
		}
		return
	}
	c.add(RuleValidate, field, "%v", err)
}

func (c *checker) collectClusters(b *bootstrapv3.Bootstrap) {
	dr := b.GetDynamicResources()
	c.dynamicClusters = dr.GetCdsConfig() != nil || dr.GetCdsResourcesLocator() != ""
	for i, cl := range b.GetStaticResources().GetClusters() {
		n := cl.GetName()
		if c.clusters[n] {
			c.add(RuleDuplicateCluster, elem("static_resources.clusters", i, n), "cluster %q is defined more than once", n)
		}
		c.clusters[n] = true
	}
}

// requireCluster records a finding when name is set but not defined.
func (c *checker) requireCluster(rule Rule, field, what, name string) {
	if name == "" || c.dynamicClusters || c.clusters[name] {
		return
	}
	c.add(rule, field, "%s names cluster %q, which is not defined in static_resources.clusters", what, name)
}

// elem renders a path to a list element, with its name when it has one.
func elem(field string, i int, name string) string {
	if name == "" {
		return fmt.Sprintf("%s[%d]", field, i)
	}
	return fmt.Sprintf("%s[%d](%s)", field, i, name)
}
