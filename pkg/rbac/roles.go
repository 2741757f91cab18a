package rbac

import (
	"slices"
	"strings"
)

// checkRoles validates role names, their grants and their inheritance.
func checkRoles(p *problems, roles map[string]roleSpec) {
	for _, name := range sortedKeys(roles) {
		r := roles[name]
		if err := checkName(name); err != nil {
			p.addf(roleField(name), "invalid role name: %v", err)
		}
		for i, perm := range r.Permissions {
			if _, err := parseGrant(perm); err != nil {
				p.addf(field("roles", name, "permissions", i), "%w", err)
			}
		}
		for i, parent := range r.Inherits {
			if _, ok := roles[parent]; !ok {
				p.addf(field("roles", name, "inherits", i), "unknown role %q", parent)
			}
		}
	}
	checkCycles(p, roles)
}

// roleField is the path of a role; an empty name cannot be addressed, so
// it points at the roles mapping.
func roleField(name string) string {
	if name == "" {
		return "roles"
	}
	return field("roles", name)
}

// checkCycles reports every inheritance cycle once, at the inherits entry
// that closes it, naming the roles around it: "a -> b -> a".
func checkCycles(p *problems, roles map[string]roleSpec) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := make(map[string]int, len(roles))
	var stack []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = visiting
		stack = append(stack, name)
		for i, parent := range roles[name].Inherits {
			if _, ok := roles[parent]; !ok {
				continue // reported by checkRoles
			}
			switch state[parent] {
			case visiting:
				cycle := append(slices.Clone(stack[slices.Index(stack, parent):]), parent)
				p.addf(field("roles", name, "inherits", i), "inheritance cycle: %s", strings.Join(cycle, " -> "))
			case unvisited:
				visit(parent)
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
	}
	for _, name := range sortedKeys(roles) {
		if state[name] == unvisited {
			visit(name)
		}
	}
}

// ownGrants returns the grants a role lists itself, after the environment
// override (revoke, then grant). It expects validated input.
func ownGrants(r roleSpec, o roleOverride) []grant {
	revoked := make(map[grant]bool, len(o.Revoke))
	for _, s := range o.Revoke {
		if g, err := parseGrant(s); err == nil {
			revoked[g] = true
		}
	}
	grants := make([]grant, 0, len(r.Permissions)+len(o.Grant))
	for _, s := range r.Permissions {
		if g, err := parseGrant(s); err == nil && !revoked[g] {
			grants = append(grants, g)
		}
	}
	for _, s := range o.Grant {
		if g, err := parseGrant(s); err == nil {
			grants = append(grants, g)
		}
	}
	return grants
}

// roleGrants is a role's effective grants as bitsets over the interned ids
// of a grantIndex.
type roleGrants struct {
	all       bool   // "*"
	perms     bitset // exact "resource:action"
	resources bitset // "resource:*"
	actions   bitset // "*:action"
}

// grantIndex interns grant strings to dense ids, one id space per kind.
type grantIndex struct {
	perms, resources, actions map[string]int
}

func intern(m map[string]int, key string) int {
	id, ok := m[key]
	if !ok {
		id = len(m)
		m[key] = id
	}
	return id
}

// compileRoles flattens inheritance into per-role bitsets. The roles must
// have passed checkRoles (in particular, no cycles).
func compileRoles(roles map[string]roleSpec, overrides map[string]roleOverride) (map[string]int, []roleGrants, grantIndex) {
	names := sortedKeys(roles)
	index := make(map[string]int, len(names))
	for i, name := range names {
		index[name] = i
	}
	idx := grantIndex{perms: map[string]int{}, resources: map[string]int{}, actions: map[string]int{}}

	// Intern everything first so that bitsets get their final size.
	type ownID struct {
		all                       bool
		perms, resources, actions []int
	}
	own := make([]ownID, len(names))
	for i, name := range names {
		for _, g := range ownGrants(roles[name], overrides[name]) {
			switch {
			case g.all():
				own[i].all = true
			case g.action == wildcard:
				own[i].resources = append(own[i].resources, intern(idx.resources, g.resource))
			case g.resource == wildcard:
				own[i].actions = append(own[i].actions, intern(idx.actions, g.action))
			default:
				own[i].perms = append(own[i].perms, intern(idx.perms, g.String()))
			}
		}
	}
	grants := make([]roleGrants, len(names))
	for i := range grants {
		g := &grants[i]
		g.all = own[i].all
		g.perms = newBitset(len(idx.perms), own[i].perms)
		g.resources = newBitset(len(idx.resources), own[i].resources)
		g.actions = newBitset(len(idx.actions), own[i].actions)
	}

	// Union along inheritance, each role once, parents first.
	merged := make([]bool, len(names))
	var merge func(i int)
	merge = func(i int) {
		merged[i] = true
		for _, parent := range roles[names[i]].Inherits {
			j := index[parent]
			if !merged[j] {
				merge(j)
			}
			g, pg := &grants[i], &grants[j]
			g.all = g.all || pg.all
			g.perms.or(pg.perms)
			g.resources.or(pg.resources)
			g.actions.or(pg.actions)
		}
	}
	for i := range names {
		if !merged[i] {
			merge(i)
		}
	}
	return index, grants, idx
}
