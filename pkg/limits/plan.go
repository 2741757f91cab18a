package limits

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Plan is the global part compiled for envoyproxy/ratelimit: what Envoy
// sends (RateLimits) and how the service limits it (Descriptors). Package
// envoyrl renders it in both formats.
type Plan struct {
	Domain string
	// RateLimits are Envoy's rate_limits entries, one per distinct chain
	// of actions, in the order of the first rule using each. Each sends
	// one descriptor per request (or none, when an action has no value).
	RateLimits []EnvoyRateLimit
	// Descriptors is the service configuration's tree, each level sorted
	// by key and then value (the key-only node first).
	Descriptors []*Descriptor
}

// EnvoyRateLimit is one Envoy rate_limits entry and the rules whose
// descriptors it produces. Rules that differ only in the values they
// match share one: Envoy sends the descriptor once and the service picks
// the rule, where two entries would count the request twice.
type EnvoyRateLimit struct {
	Actions []Action
	Rules   []string
}

// Descriptor is a node of the service configuration.
type Descriptor struct {
	Key string
	// Value is the exact value matched; "" matches any value.
	Value string
	// Rule is the rule limiting descriptors that end here; nil for none.
	Rule        *Rule
	Descriptors []*Descriptor
}

// maxDescriptors bounds the service configuration. Completing the tree
// (see plan) copies subtrees, and adversarial rules could make it grow
// exponentially with the descriptor length.
const maxDescriptors = 10000

// Plan compiles the global part. It validates g on its own first (without
// the policy's role and route names, which only a policy load checks) and
// returns an *Error if there are problems.
func (g *Global) Plan() (*Plan, error) {
	c := &collector{}
	var p *Plan
	if checkGlobalFields(c, at{}.key("global"), g, Refs{}) {
		p = plan(c, g)
	}
	if len(c.list) > 0 {
		return nil, &Error{Problems: c.problems()}
	}
	return p, nil
}

// pattern is a rule as the service configuration sees it: keys, and the
// value to match at each level ("" for any).
type pattern struct {
	rule    int
	actions []Action
	keys    []string
	values  []string
}

// covers reports whether p matches every descriptor q matches, that is
// p is q or less specific: wherever p pins a value, q pins the same.
func (p *pattern) covers(q *pattern) bool {
	for i, v := range p.values {
		if v != "" && v != q.values[i] {
			return false
		}
	}
	return true
}

// compatible reports whether some descriptor matches both.
func (p *pattern) compatible(q *pattern) bool {
	for i, v := range p.values {
		if v != "" && q.values[i] != "" && v != q.values[i] {
			return false
		}
	}
	return true
}

func (p *pattern) pinned() int {
	n := 0
	for _, v := range p.values {
		if v != "" {
			n++
		}
	}
	return n
}

// plan checks the rules against each other and builds the Plan, or
// records problems in c and returns nil; g's fields must be valid. The
// checks make the service's answer for every descriptor well defined, see
// the package comment ("How a descriptor is matched").
func plan(c *collector, g *Global) *Plan {
	before := len(c.list) + c.dropped
	rules := at{}.key("global", "rules")
	ruleAt := func(i int) at { return rules.index(i).named(g.Rules[i].Name) }
	name := func(i int) string { return fmt.Sprintf("%q (rules[%d])", g.Rules[i].Name, i) }

	pats := make([]pattern, len(g.Rules))
	for i, r := range g.Rules {
		p := pattern{rule: i}
		for _, e := range r.Descriptor {
			act, v := e.compile()
			p.actions = append(p.actions, act)
			p.keys = append(p.keys, act.DescriptorKey)
			p.values = append(p.values, v)
		}
		pats[i] = p
	}

	// Rules with the same actions share one Envoy rate_limits entry.
	var envoy []EnvoyRateLimit
	var firstRule []int // per group
	group := make([]int, len(pats))
	for i, p := range pats {
		k := slices.IndexFunc(envoy, func(e EnvoyRateLimit) bool { return slices.Equal(e.Actions, p.actions) })
		if k < 0 {
			k = len(envoy)
			envoy = append(envoy, EnvoyRateLimit{Actions: p.actions})
			firstRule = append(firstRule, i)
		}
		envoy[k].Rules = append(envoy[k].Rules, g.Rules[i].Name)
		group[i] = k
	}

	// The patterns of each group, to find joins.
	present := map[string]bool{}
	for i := range pats {
		present[groupValues(group[i], pats[i].values)] = true
	}
	// Only rules with the same keys can match the same descriptors.
	for _, same := range byKeys(pats) {
		for jj, j := range same {
			if c.full() {
				break
			}
			q := &pats[j]
			for _, i := range same[:jj] {
				p := &pats[i]
				switch {
				case group[i] == group[j] && slices.Equal(p.values, q.values):
					c.addf(ruleAt(j).key("descriptor"), "matches exactly the descriptors of rule %s; remove one, or pin a different value", name(i))
				case group[i] != group[j] && firstRule[group[i]] == i && firstRule[group[j]] == j && mayCoincide(p.actions, q.actions):
					// Reported once per pair of Envoy entries. The service
					// sees only keys and values, so a descriptor from either
					// entry would match the other's rules, and a request
					// sending both would be counted twice.
					k := firstDifference(p.actions, q.actions)
					c.addf(ruleAt(j).key("descriptor").index(k),
						"takes descriptor key %q from %s, but rule %s takes it from %s: Envoy would send descriptors the rate-limit service cannot tell apart; use a different descriptor_key",
						q.keys[k], q.actions[k].describe(), name(i), p.actions[k].describe())
				case group[i] == group[j] && p.compatible(q) && !p.covers(q) && !q.covers(p):
					join := joinPattern(p, q)
					if !present[groupValues(group[j], join.values)] {
						c.addf(ruleAt(j).key("descriptor"),
							"overlaps rule %s: a descriptor %s matches both and neither is more specific; add a rule for exactly that descriptor",
							name(i), describePattern(join))
					}
				}
			}
		}
	}

	for i, r := range g.Rules {
		for k, target := range r.Replaces {
			t := slices.IndexFunc(g.Rules, func(r Rule) bool { return r.Name == target })
			if t >= 0 && group[t] == group[i] {
				c.addf(ruleAt(i).key("replaces").index(k),
					"has no effect: rule %s matches the same kind of descriptor, Envoy sends one per request, and it selects only one of the two rules", name(t))
			}
		}
	}

	checkKeyConfusion(c, pats, ruleAt, name)
	if len(c.list)+c.dropped > before {
		return nil
	}

	tree, err := buildTree(g, pats)
	if err != nil {
		c.addf(rules, "%v", err)
		return nil
	}
	return &Plan{Domain: g.Domain, RateLimits: envoy, Descriptors: tree}
}

// byKeys groups pattern indexes by key sequence, in order of first use.
func byKeys(pats []pattern) [][]int {
	var out [][]int
	index := map[string]int{}
	for i, p := range pats {
		k := strings.Join(p.keys, "\x00")
		at, ok := index[k]
		if !ok {
			at = len(out)
			index[k] = at
			out = append(out, nil)
		}
		out[at] = append(out[at], i)
	}
	return out
}

// groupValues is a map key for a group's pattern values.
func groupValues(group int, values []string) string {
	return fmt.Sprintf("%d%q", group, values)
}

// mayCoincide reports whether two action chains of the same keys could
// produce the same descriptor: only an entry whose value both fix, to
// different values, tells them apart.
func mayCoincide(a, b []Action) bool {
	for i := range a {
		if a[i].Fixed() && b[i].Fixed() && a[i].Value != b[i].Value {
			return false
		}
	}
	return true
}

func firstDifference(a, b []Action) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return 0
}

// joinPattern is the least specific pattern at least as specific as both.
func joinPattern(p, q *pattern) pattern {
	j := pattern{keys: p.keys, values: slices.Clone(p.values)}
	for i, v := range q.values {
		if v != "" {
			j.values[i] = v
		}
	}
	return j
}

// describePattern renders a pattern for messages: "(tenant: acme, route: any)".
func describePattern(p pattern) string {
	parts := make([]string, len(p.keys))
	for i, k := range p.keys {
		v := p.values[i]
		if v == "" {
			v = "any"
		}
		parts[i] = k + ": " + v
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// checkKeyConfusion rejects keys at the same level where one is another
// followed by "_": envoyproxy/ratelimit looks an entry up as "key_value"
// before "key", so the entry (api, key_1) would find a node for the key
// api_key.
func checkKeyConfusion(c *collector, pats []pattern, ruleAt func(int) at, name func(int) string) {
	// use is the first rule using a key at a level.
	type use struct {
		level int
		key   string
		rule  int
	}
	var uses []use
	for _, p := range pats {
		for lvl, k := range p.keys {
			if !slices.ContainsFunc(uses, func(u use) bool { return u.level == lvl && u.key == k }) {
				uses = append(uses, use{lvl, k, p.rule})
			}
		}
	}
	for _, short := range uses {
		for _, long := range uses {
			if short.level != long.level || !strings.HasPrefix(long.key, short.key+"_") {
				continue
			}
			// Report at whichever rule came second.
			here, other := long, short
			if short.rule > long.rule {
				here, other = short, long
			}
			c.addf(ruleAt(here.rule).key("descriptor").index(here.level),
				"descriptor key %q can be mistaken for key %q of rule %s at the same level (the rate-limit service looks entries up as key_value); use a different descriptor_key",
				here.key, other.key, name(other.rule))
		}
	}
}

// node is a service configuration node under construction.
type node struct {
	key, value string
	children   []*node
}

func (n *node) child(key, value string) *node {
	for _, c := range n.children {
		if c.key == key && c.value == value {
			return c
		}
	}
	return nil
}

// buildTree builds the service configuration for patterns that passed
// the checks in plan.
//
// envoyproxy/ratelimit walks a descriptor level by level, taking the
// node for key and value if there is one and the key-only node otherwise,
// and never goes back. So under a node that pins a value, the tree must
// also hold everything found under its key-only sibling, or a rule with
// "any" at this level and a pinned value deeper down would be unreachable
// for that value. buildTree first adds every pattern's path, then copies
// each key-only sibling's subtree under its pinned siblings until nothing
// changes, and finally gives every node the most specific rule whose
// pattern matches the node's path (unique thanks to the overlap check).
func buildTree(g *Global, pats []pattern) ([]*Descriptor, error) {
	root := &node{}
	count := 0
	for _, p := range pats {
		n := root
		for i, k := range p.keys {
			c := n.child(k, p.values[i])
			if c == nil {
				c = &node{key: k, value: p.values[i]}
				n.children = append(n.children, c)
				count++
			}
			n = c
		}
	}

	var union func(dst, src *node) bool
	union = func(dst, src *node) bool {
		changed := false
		for _, s := range src.children {
			if count > maxDescriptors {
				return false // buildTree reports it
			}
			d := dst.child(s.key, s.value)
			if d == nil {
				d = &node{key: s.key, value: s.value}
				dst.children = append(dst.children, d)
				count++
				changed = true
			}
			if union(d, s) {
				changed = true
			}
		}
		return changed
	}
	var complete func(n *node) bool
	complete = func(n *node) bool {
		changed := false
		for _, c := range n.children {
			if c.value == "" {
				continue
			}
			if wild := n.child(c.key, ""); wild != nil && union(c, wild) {
				changed = true
			}
		}
		for _, c := range n.children {
			if complete(c) {
				changed = true
			}
		}
		return changed
	}
	for changed := true; changed && count <= maxDescriptors; {
		changed = complete(root)
	}
	if count > maxDescriptors {
		return nil, fmt.Errorf("the rules need more than %d nodes in the rate-limit service configuration; simplify them", maxDescriptors)
	}

	candidates := map[string][]int{}
	for _, same := range byKeys(pats) {
		candidates[strings.Join(pats[same[0]].keys, "\x00")] = same
	}
	var convert func(n *node, keys, values []string) ([]*Descriptor, error)
	convert = func(n *node, keys, values []string) ([]*Descriptor, error) {
		slices.SortFunc(n.children, func(a, b *node) int {
			return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.value, b.value))
		})
		out := make([]*Descriptor, 0, len(n.children))
		for _, c := range n.children {
			ks, vs := append(slices.Clip(keys), c.key), append(slices.Clip(values), c.value)
			rule, err := ruleFor(pats, candidates[strings.Join(ks, "\x00")], vs)
			if err != nil {
				return nil, err
			}
			d := &Descriptor{Key: c.key, Value: c.value}
			if rule >= 0 {
				d.Rule = &g.Rules[rule]
			}
			if d.Descriptors, err = convert(c, ks, vs); err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		return out, nil
	}
	return convert(root, nil, nil)
}

// ruleFor returns the rule for descriptors that end at the node whose
// path has values (and the keys of the candidate patterns): the most
// specific candidate that matches the path, or -1.
func ruleFor(pats []pattern, candidates []int, values []string) (int, error) {
	at := &pattern{values: values}
	best := -1
	for _, i := range candidates {
		p := &pats[i]
		if p.covers(at) && (best < 0 || p.pinned() > pats[best].pinned()) {
			best = i
		}
	}
	if best < 0 {
		return -1, nil
	}
	for _, i := range candidates {
		if p := &pats[i]; p.covers(at) && !p.covers(&pats[best]) {
			// plan's overlap check makes this impossible.
			return -1, fmt.Errorf("internal error: no most specific rule for %q", values)
		}
	}
	return pats[best].rule, nil
}
