package envoyrl

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/martyedge/security/pkg/limits"
)

// This file checks the generated files end to end without Envoy or the
// rate-limit service: it plays Envoy (envoysim_test.go: each descriptor
// built from the generated actions) and envoyproxy/ratelimit
// (ratelimitsim_test.go: the generated configuration loaded and matched
// as the service does), and compares the limits that apply with what the
// policy's rules say, computed here from the rules directly.

// entry is a descriptor entry.
type entry struct{ key, value string }

// request is what Envoy knows about a request when its ratelimit filter
// runs after ext_authz.
type request struct {
	remote   string            // trusted client address
	headers  map[string]string // including ":path" and ":authority"
	metadata map[string]string // ext_authz dynamic metadata (strings)
}

func (r request) String() string {
	return fmt.Sprintf("remote=%s headers=%v metadata=%v", r.remote, r.headers, r.metadata)
}

// ruleDescriptor is the descriptor the rule's entries describe for req,
// per the schema in pkg/limits' documentation, and whether there is one.
func ruleDescriptor(r limits.Rule, req request) ([]entry, bool) {
	var d []entry
	for _, e := range r.Descriptor {
		var k, v string
		switch {
		case e.RemoteAddress:
			k, v = "remote_address", req.remote
		case e.Header != nil:
			k = cmp.Or(e.Header.DescriptorKey, strings.TrimPrefix(e.Header.Name, ":"))
			var ok bool
			if v, ok = req.headers[e.Header.Name]; !ok {
				return nil, false
			}
		case e.Metadata != nil:
			k = cmp.Or(e.Metadata.DescriptorKey, e.Metadata.Key)
			v = cmp.Or(req.metadata[e.Metadata.Key], e.Metadata.Default)
		case e.GenericKey != nil:
			k, v = cmp.Or(e.GenericKey.DescriptorKey, "generic_key"), e.GenericKey.Value
		case e.Route != "":
			k, v = "route", req.metadata["route"]
		case e.PathPrefix != "":
			k, v = "path_prefix", e.PathPrefix
			if !underPrefix(req.headers[":path"], e.PathPrefix) {
				return nil, false
			}
		}
		if v == "" {
			return nil, false
		}
		d = append(d, entry{k, v})
	}
	return d, true
}

// underPrefix is the segment-aware prefix of policy routes, applied to a
// path that may carry a query string.
func underPrefix(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || strings.HasSuffix(prefix, "/") || strings.ContainsRune("/?", rune(path[len(prefix)]))
}

// rulePattern is what a rule matches: per entry its key, and the value it
// pins ("" for any).
func rulePattern(r limits.Rule) (keys, values []string) {
	for _, e := range r.Descriptor {
		var k, v string
		switch {
		case e.RemoteAddress:
			k, v = "remote_address", e.Value
		case e.Header != nil:
			k, v = cmp.Or(e.Header.DescriptorKey, strings.TrimPrefix(e.Header.Name, ":")), e.Value
		case e.Metadata != nil:
			k, v = cmp.Or(e.Metadata.DescriptorKey, e.Metadata.Key), e.Value
		case e.GenericKey != nil:
			k, v = cmp.Or(e.GenericKey.DescriptorKey, "generic_key"), e.GenericKey.Value
		case e.Route != "":
			k, v = "route", e.Route
		case e.PathPrefix != "":
			k, v = "path_prefix", e.PathPrefix
		}
		keys, values = append(keys, k), append(values, v)
	}
	return keys, values
}

// intended is the rule that should limit descriptor d: the most specific
// rule matching it (the most pinned values), or nil.
func intended(g *limits.Global, d []entry) *limits.Rule {
	var best *limits.Rule
	bestPinned := -1
	for i, r := range g.Rules {
		keys, values := rulePattern(r)
		if len(keys) != len(d) {
			continue
		}
		ok, pinned := true, 0
		for j, e := range d {
			ok = ok && keys[j] == e.key && (values[j] == "" || values[j] == e.value)
			if values[j] != "" {
				pinned++
			}
		}
		if ok && pinned > bestPinned {
			best, bestPinned = &g.Rules[i], pinned
		}
	}
	return best
}

// ---- the checks ----

// outcome is what both sides agree on for one request.
type outcome struct {
	descriptors [][]entry
	matched     []string // rule name per descriptor, "" for none
	enforced    []string // sorted
}

// simulate runs a request through the generated files.
func simulate(t *testing.T, svc *rlService, envoy []*routev3.RateLimit, req request) outcome {
	t.Helper()
	var o outcome
	for _, rl := range envoy {
		if d, ok := envoyDescriptor(t, rl, req); ok {
			o.descriptors = append(o.descriptors, d)
		}
	}
	matched, enforced := svc.check(o.descriptors)
	for _, l := range matched {
		name := ""
		if l != nil {
			name = l.name
		}
		o.matched = append(o.matched, name)
	}
	for _, l := range enforced {
		o.enforced = append(o.enforced, l.name)
	}
	slices.Sort(o.enforced)
	return o
}

// expect computes, from the rules alone, what should happen to req: each
// distinct descriptor the rules describe, the rule it selects, and the
// rules enforced after unlimited ones and replaced ones are dropped.
func expect(g *limits.Global, req request) (descriptors map[string]string, enforced []string) {
	descriptors = map[string]string{}
	var selected []*limits.Rule
	for _, r := range g.Rules {
		d, ok := ruleDescriptor(r, req)
		if !ok {
			continue
		}
		k := fmt.Sprint(d)
		if _, seen := descriptors[k]; seen {
			continue
		}
		name := ""
		if sel := intended(g, d); sel != nil {
			name = sel.Name
			selected = append(selected, sel)
		}
		descriptors[k] = name
	}
	replaced := map[string]bool{}
	for _, r := range selected {
		for _, n := range r.Replaces {
			replaced[n] = true
		}
	}
	for _, r := range selected {
		if !r.Unlimited && !replaced[r.Name] {
			enforced = append(enforced, r.Name)
		}
	}
	slices.Sort(enforced)
	return descriptors, enforced
}

// compare checks one request and returns the outcome and a description
// of any mismatch.
func compare(t *testing.T, g *limits.Global, svc *rlService, envoy []*routev3.RateLimit, req request) (outcome, string) {
	t.Helper()
	got := simulate(t, svc, envoy, req)
	wantDescs, wantEnforced := expect(g, req)
	gotDescs := map[string]string{}
	for i, d := range got.descriptors {
		k := fmt.Sprint(d)
		if _, dup := gotDescs[k]; dup {
			return got, fmt.Sprintf("Envoy sends descriptor %s twice: the service would count it twice", k)
		}
		gotDescs[k] = got.matched[i]
	}
	if fmt.Sprint(gotDescs) != fmt.Sprint(wantDescs) {
		return got, fmt.Sprintf("descriptor -> rule: Envoy and the service give %v, the rules say %v", gotDescs, wantDescs)
	}
	if !slices.Equal(got.enforced, wantEnforced) {
		return got, fmt.Sprintf("enforced limits %q, the rules say %q", got.enforced, wantEnforced)
	}
	return got, ""
}

// loadGenerated generates the fixture's files and loads both sides.
func loadGenerated(t *testing.T, f fixture) (*limits.Global, *rlService, []*routev3.RateLimit) {
	t.Helper()
	g := f.load(t)
	out, err := Generate(g)
	if err != nil {
		t.Fatal(err)
	}
	svc := loadService(t, out.ServiceConfig)
	if svc.domain != g.Domain {
		t.Fatalf("service config domain %q, want %q", svc.domain, g.Domain)
	}
	return g, svc, parseEnvoyConfig(t, out.EnvoyRateLimits)
}

// TestEachRuleSelected builds, for each rule, a request that fits it (its
// pinned values, fresh values elsewhere) and checks that the descriptor
// Envoy sends for it selects that rule in the service, with that rule's
// limit, and that the rule is enforced unless it is unlimited or replaced.
func TestEachRuleSelected(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			g, svc, envoy := loadGenerated(t, f)
			for _, r := range g.Rules {
				t.Run(r.Name, func(t *testing.T) {
					req := sampleRequest(r)
					got := simulate(t, svc, envoy, req)
					want, wantEnforced := expect(g, req)
					i := slices.Index(got.matched, r.Name)
					if i < 0 {
						t.Fatalf("%s: no descriptor selects the rule: descriptors %v select %q", req, got.descriptors, got.matched)
					}
					if rd, _ := ruleDescriptor(r, req); fmt.Sprint(rd) != fmt.Sprint(got.descriptors[i]) {
						t.Errorf("rule selected by descriptor %v, want %v", got.descriptors[i], rd)
					}
					l := svc.getLimit(got.descriptors[i])
					checkLimit(t, l, r)
					if !slices.Equal(got.enforced, wantEnforced) {
						t.Errorf("enforced %q, want %q (descriptors %v)", got.enforced, wantEnforced, want)
					}
				})
			}
		})
	}
}

// checkLimit compares a loaded limit with the rule it should come from.
func checkLimit(t *testing.T, l *rlLimit, r limits.Rule) {
	t.Helper()
	want := rlLimit{name: r.Name, unlimited: r.Unlimited, shadow: r.ShadowMode, replaces: r.Replaces}
	if r.Limit != nil {
		want.unit, want.requests = r.Limit.Unit, uint32(r.Limit.Requests)
	}
	if l == nil || l.name != want.name || l.unit != want.unit || l.requests != want.requests ||
		l.unlimited != want.unlimited || l.shadow != want.shadow || !slices.Equal(l.replaces, want.replaces) {
		t.Errorf("service limit %+v, want %+v", l, want)
	}
}

// sampleRequest fits rule r: its pinned values, a fresh value for each
// entry that pins none, and nothing else that would add descriptors.
func sampleRequest(r limits.Rule) request {
	req := request{remote: "203.0.113.99", headers: map[string]string{":path": "/elsewhere"}, metadata: map[string]string{}}
	fresh := func(v string) string { return cmp.Or(v, "sample-"+r.Name) }
	for _, e := range r.Descriptor {
		switch {
		case e.RemoteAddress:
			req.remote = cmp.Or(e.Value, "198.51.100.1")
		case e.Header != nil:
			req.headers[e.Header.Name] = fresh(e.Value)
		case e.Metadata != nil:
			req.metadata[e.Metadata.Key] = fresh(e.Value)
		case e.Route != "":
			req.metadata["route"] = e.Route
		case e.PathPrefix != "":
			req.headers[":path"] = e.PathPrefix
		}
	}
	return req
}

// TestAllRequests runs every combination of the values the rules mention
// (plus a fresh value, and absence, for each source) through Envoy's and
// the service's side of the generated files and compares the outcome
// with what the rules say.
func TestAllRequests(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			g, svc, envoy := loadGenerated(t, f)
			dims := dimensions(g)
			n, hit := 0, map[string]bool{}
			var rec func(i int, req request)
			rec = func(i int, req request) {
				if t.Failed() {
					return
				}
				if i == len(dims) {
					n++
					got, msg := compare(t, g, svc, envoy, req)
					if msg != "" {
						t.Errorf("%s: %s", req, msg)
					}
					for _, name := range got.matched {
						hit[name] = true
					}
					return
				}
				for _, v := range dims[i].values {
					next := request{remote: req.remote, headers: clone(req.headers), metadata: clone(req.metadata)}
					dims[i].set(&next, v)
					rec(i+1, next)
				}
			}
			rec(0, request{headers: map[string]string{}, metadata: map[string]string{}})
			if t.Failed() {
				return
			}
			for _, r := range g.Rules {
				if !hit[r.Name] {
					t.Errorf("no request selected rule %s", r.Name)
				}
			}
			t.Logf("%d requests", n)
		})
	}
}

func clone(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// absent stands for a header or metadata key the request does not have.
const absent = "\x00absent"

// dimension is one source of descriptor values and the values to try.
type dimension struct {
	values []string
	set    func(*request, string)
}

// dimensions lists, for each source the rules read, the values they pin,
// a fresh one and (for headers and metadata) absence; for the path, each
// prefix, a path below it, a path that only shares its characters, and a
// path elsewhere.
func dimensions(g *limits.Global) []dimension {
	remote := []string{"203.0.113.7"}
	headers := map[string][]string{}
	metadata := map[string][]string{}
	var paths []string
	add := func(list []string, v string) []string {
		if v == "" || slices.Contains(list, v) {
			return list
		}
		return append(list, v)
	}
	for _, r := range g.Rules {
		for _, e := range r.Descriptor {
			switch {
			case e.RemoteAddress:
				remote = add(remote, e.Value)
			case e.Header != nil:
				headers[e.Header.Name] = add(add(add(headers[e.Header.Name], absent), "fresh"), e.Value)
			case e.Metadata != nil:
				metadata[e.Metadata.Key] = add(add(add(add(metadata[e.Metadata.Key], absent), "fresh"), e.Value), e.Metadata.Default)
			case e.Route != "":
				metadata["route"] = add(add(add(metadata["route"], absent), "fresh"), e.Route)
			case e.PathPrefix != "":
				p := e.PathPrefix
				paths = add(add(add(paths, p), strings.TrimSuffix(p, "/")+"/1?q=2"), p+"X")
			}
		}
	}
	paths = add(paths, "/elsewhere")

	dims := []dimension{
		{remote, func(r *request, v string) { r.remote = v }},
		{paths, func(r *request, v string) { r.headers[":path"] = v }},
	}
	for _, name := range sortedKeys(headers) {
		dims = append(dims, dimension{headers[name], func(r *request, v string) {
			if v != absent {
				r.headers[name] = v
			}
		}})
	}
	for _, key := range sortedKeys(metadata) {
		dims = append(dims, dimension{metadata[key], func(r *request, v string) {
			if v != absent {
				r.metadata[key] = v
			}
		}})
	}
	return dims
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestMatcherCatchesBrokenConfig makes sure the checks above can fail: a
// service configuration without the nodes the plan adds for overrides
// must be caught.
func TestMatcherCatchesBrokenConfig(t *testing.T) {
	g := &limits.Global{Domain: "edge", Rules: []limits.Rule{
		{Name: "tenant-route", Descriptor: []limits.Entry{{Metadata: &limits.MetadataEntry{Key: "tenant"}}, {Metadata: &limits.MetadataEntry{Key: "route"}}}, Limit: &limits.RuleLimit{Requests: 1, Unit: "second"}},
		{Name: "acme-orders", Descriptor: []limits.Entry{{Metadata: &limits.MetadataEntry{Key: "tenant"}, Value: "acme"}, {Route: "orders-read"}}, Limit: &limits.RuleLimit{Requests: 2, Unit: "second"}},
	}}
	out, err := Generate(g)
	if err != nil {
		t.Fatal(err)
	}
	envoy := parseEnvoyConfig(t, out.EnvoyRateLimits)
	// The tree as a naive generator would write it: each rule's path only.
	naive := []byte(`domain: edge
descriptors:
  - key: tenant
    descriptors:
      - key: route
        rate_limit: {name: tenant-route, unit: second, requests_per_unit: 1}
  - key: tenant
    value: acme
    descriptors:
      - key: route
        value: orders-read
        rate_limit: {name: acme-orders, unit: second, requests_per_unit: 2}
`)
	req := request{remote: "203.0.113.7", headers: map[string]string{":path": "/"}, metadata: map[string]string{"tenant": "acme", "route": "docs"}}
	if _, msg := compare(t, g, loadService(t, naive), envoy, req); msg == "" {
		t.Error("the naive configuration passed")
	}
	if _, msg := compare(t, g, loadService(t, out.ServiceConfig), envoy, req); msg != "" {
		t.Errorf("generated configuration: %s", msg)
	}
}
