package limits

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// render prints a plan's tree one node per line, indented by level:
// "key=value -> rule".
func render(ds []*Descriptor, indent string, b *strings.Builder) {
	for _, d := range ds {
		v := d.Value
		if v == "" {
			v = "*"
		}
		fmt.Fprintf(b, "%s%s=%s", indent, d.Key, v)
		if d.Rule != nil {
			fmt.Fprintf(b, " -> %s", d.Rule.Name)
		}
		b.WriteByte('\n')
		render(d.Descriptors, indent+"  ", b)
	}
}

func TestPlanTree(t *testing.T) {
	s := decode(t, `
global:
  domain: edge
  rules:
    - {name: per-ip, descriptor: [{remote_address: true}], limit: {requests: 20, unit: second}}
    - name: per-tenant-route
      descriptor: [{metadata: {key: tenant}}, {metadata: {key: route}}]
      limit: {requests: 10, unit: minute}
    - name: orders
      descriptor: [{metadata: {key: tenant}}, {route: orders-read}]
      limit: {requests: 100, unit: minute}
    - name: acme
      descriptor: [{metadata: {key: tenant}, value: acme}, {metadata: {key: route}}]
      limit: {requests: 1000, unit: minute}
    - name: acme-orders
      descriptor: [{metadata: {key: tenant}, value: acme}, {route: orders-read}]
      unlimited: true
`)
	if ps := s.Validate(testRefs); len(ps) > 0 {
		t.Fatalf("invalid: %v", ps)
	}
	p, err := s.Global.Plan()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	render(p.Descriptors, "", &b)
	// Under tenant=acme the key-only route node was copied next to the
	// pinned one: without it, (tenant acme, route docs) would find no
	// rule, since the service does not go back to tenant=*.
	want := `remote_address=* -> per-ip
tenant=*
  route=* -> per-tenant-route
  route=orders-read -> orders
tenant=acme
  route=* -> acme
  route=orders-read -> acme-orders
`
	if got := b.String(); got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
	var envoy []string
	for _, rl := range p.RateLimits {
		envoy = append(envoy, strings.Join(rl.Rules, ","))
	}
	if want := []string{"per-ip", "per-tenant-route,orders,acme,acme-orders"}; !slices.Equal(envoy, want) {
		t.Errorf("Envoy entries serve %q, want %q", envoy, want)
	}
}

func TestPlanInheritsDeeperRules(t *testing.T) {
	// The pinned node tenant=acme has no rule of its own at level 2 for
	// route=docs, and none at level 1 at all: both must come from the
	// key-only siblings.
	s := decode(t, `
global:
  domain: edge
  rules:
    - {name: tenant, descriptor: [{metadata: {key: tenant}}], limit: {requests: 1, unit: second}}
    - name: tenant-route
      descriptor: [{metadata: {key: tenant}}, {metadata: {key: route}}]
      limit: {requests: 2, unit: second}
    - name: acme-orders
      descriptor: [{metadata: {key: tenant}, value: acme}, {route: orders-read}]
      limit: {requests: 3, unit: second}
`)
	p, err := s.Global.Plan()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	render(p.Descriptors, "", &b)
	want := `tenant=* -> tenant
  route=* -> tenant-route
tenant=acme -> tenant
  route=* -> tenant-route
  route=orders-read -> acme-orders
`
	if got := b.String(); got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlanTooLarge(t *testing.T) {
	// No two rules overlap, but under each pinned tenant the tree must
	// also hold every route pinned under tenant=*: 100*101 nodes.
	var b strings.Builder
	b.WriteString("global:\n  domain: edge\n  rules:\n")
	for i := range 100 {
		for _, tenant := range []string{fmt.Sprintf("t%d", i), ""} {
			fmt.Fprintf(&b, "    - name: r%d%s\n      limit: {requests: 1, unit: second}\n      descriptor:\n", i, tenant)
			b.WriteString("        - metadata: {key: tenant}\n")
			if tenant != "" {
				fmt.Fprintf(&b, "          value: %s\n", tenant)
			}
			fmt.Fprintf(&b, "        - metadata: {key: route}\n          value: x%s%d\n", tenant, i)
		}
	}
	_, err := decode(t, b.String()).Global.Plan()
	if err == nil || !strings.Contains(err.Error(), "more than 10000 nodes") {
		t.Fatalf("Plan error = %v, want the size limit", err)
	}
}

// slot is an entry source for generated rules.
type slot struct {
	src   string // YAML of the entry's source
	key   string
	fixed string // the value a constant entry always has
}

// TestPlanMatchesMostSpecific checks, for many generated rule sets, that
// walking the plan's tree the way envoyproxy/ratelimit does (value before
// key-only at each level, never back) gives, for every descriptor, the
// most specific rule whose pattern matches it.
func TestPlanMatchesMostSpecific(t *testing.T) {
	tenant := slot{src: "metadata: {key: tenant}", key: "tenant"}
	route := slot{src: "metadata: {key: route}", key: "route"}
	hdr := slot{src: "header: {name: x-a}", key: "x-a"}
	g1 := slot{src: "generic_key: {value: g1}", key: "generic_key", fixed: "g1"}
	g2 := slot{src: "generic_key: {value: g2}", key: "generic_key", fixed: "g2"}
	chains := [][]slot{
		{tenant},
		{tenant, route},
		{g1, tenant},
		{g2, tenant},
		{hdr, tenant, route},
		{route, hdr},
	}
	pool := []string{"", "v1", "v2"}
	universe := []string{"v1", "v2", "v3"}

	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		// Pick chains and value vectors, then close the vectors of each
		// chain under joins, as validation demands.
		type rule struct {
			chain  int
			values []string
		}
		var rules []rule
		for _, c := range rng.Perm(len(chains))[:1+rng.IntN(3)] {
			var vecs [][]string
			for range 1 + rng.IntN(4) {
				v := make([]string, len(chains[c]))
				for i, s := range chains[c] {
					if s.fixed == "" {
						v[i] = pool[rng.IntN(len(pool))]
					}
				}
				if !slices.ContainsFunc(vecs, func(w []string) bool { return slices.Equal(w, v) }) {
					vecs = append(vecs, v)
				}
			}
			vecs = closeUnderJoin(vecs)
			for _, v := range vecs {
				rules = append(rules, rule{c, v})
			}
		}

		var b strings.Builder
		b.WriteString("global:\n  domain: edge\n  rules:\n")
		for i, r := range rules {
			fmt.Fprintf(&b, "    - name: r%d\n      limit: {requests: %d, unit: second}\n      descriptor:\n", i, i+1)
			for j, s := range chains[r.chain] {
				fmt.Fprintf(&b, "        - %s\n", s.src)
				if r.values[j] != "" {
					fmt.Fprintf(&b, "          value: %s\n", r.values[j])
				}
			}
		}
		spec := decode(t, b.String())
		if ps := spec.Validate(Refs{}); len(ps) > 0 {
			t.Fatalf("iteration %d: generated rules rejected: %v\n%s", iter, ps, b.String())
		}
		p, err := spec.Global.Plan()
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}

		for c, chain := range chains {
			// Every descriptor this chain can produce over the universe.
			var rec func(i int, entries [][2]string)
			rec = func(i int, entries [][2]string) {
				if i == len(chain) {
					got := walk(p.Descriptors, entries)
					want := -1
					for k, r := range rules {
						if matchesEntries(chains[r.chain], r.values, entries) &&
							(want < 0 || pinned(r.values) > pinned(rules[want].values)) {
							want = k
						}
					}
					gotName, wantName := "none", "none"
					if got != nil {
						gotName = got.Name
					}
					if want >= 0 {
						wantName = fmt.Sprintf("r%d", want)
					}
					if gotName != wantName {
						t.Fatalf("iteration %d, chain %d, descriptor %v: service picks %s, most specific rule is %s\n%s",
							iter, c, entries, gotName, wantName, b.String())
					}
					return
				}
				if chain[i].fixed != "" {
					rec(i+1, append(entries, [2]string{chain[i].key, chain[i].fixed}))
					return
				}
				for _, v := range universe {
					rec(i+1, append(slices.Clip(entries), [2]string{chain[i].key, v}))
				}
			}
			rec(0, nil)
		}
	}
}

// closeUnderJoin adds the join of every compatible pair until none is
// missing.
func closeUnderJoin(vecs [][]string) [][]string {
	for changed := true; changed; {
		changed = false
		for _, a := range vecs {
			for _, b := range vecs {
				join, ok := joinValues(a, b)
				if ok && !slices.ContainsFunc(vecs, func(w []string) bool { return slices.Equal(w, join) }) {
					vecs = append(vecs, join)
					changed = true
				}
			}
		}
	}
	return vecs
}

func joinValues(a, b []string) ([]string, bool) {
	out := slices.Clone(a)
	for i := range a {
		switch {
		case b[i] == "":
		case a[i] == "":
			out[i] = b[i]
		case a[i] != b[i]:
			return nil, false
		}
	}
	return out, true
}

func pinned(values []string) int {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	return n
}

// matchesEntries reports whether a rule of chain with values matches the
// descriptor entries: same keys, and equal values wherever it pins one.
func matchesEntries(chain []slot, values []string, entries [][2]string) bool {
	if len(chain) != len(entries) {
		return false
	}
	for i, s := range chain {
		want := values[i]
		if s.fixed != "" {
			want = s.fixed
		}
		if entries[i][0] != s.key || want != "" && entries[i][1] != want {
			return false
		}
	}
	return true
}

// walk looks a descriptor up the way envoyproxy/ratelimit's GetLimit
// does: per level the node for key and value, else the key-only node; a
// limit counts only at the last entry; stop when there are no children.
func walk(tree []*Descriptor, entries [][2]string) *Rule {
	level := tree
	for i, e := range entries {
		n := find(level, e[0], e[1])
		if n == nil {
			n = find(level, e[0], "")
		}
		if n == nil {
			return nil
		}
		if i == len(entries)-1 {
			return n.Rule
		}
		if len(n.Descriptors) == 0 {
			return nil
		}
		level = n.Descriptors
	}
	return nil
}

func find(level []*Descriptor, key, value string) *Descriptor {
	for _, d := range level {
		if d.Key == key && d.Value == value {
			return d
		}
	}
	return nil
}

func TestPlanDeterministic(t *testing.T) {
	src := `
global:
  domain: edge
  rules:
    - {name: b, descriptor: [{metadata: {key: tenant}}, {metadata: {key: route}}], limit: {requests: 1, unit: second}}
    - {name: a, descriptor: [{metadata: {key: tenant}, value: z}, {metadata: {key: route}}], limit: {requests: 1, unit: second}}
    - {name: c, descriptor: [{metadata: {key: tenant}, value: y}, {route: orders-read}], limit: {requests: 1, unit: second}}
    - {name: d, descriptor: [{remote_address: true}], limit: {requests: 1, unit: second}}
`
	first, err := decode(t, src).Global.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := decode(t, src).Global.Plan()
		if !reflect.DeepEqual(first, again) {
			t.Fatal("Plan is not deterministic")
		}
	}
}
