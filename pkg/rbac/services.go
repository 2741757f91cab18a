package rbac

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
)

// checkServices validates one list of service rules; list is its path,
// "services" or "environments.<env>.services".
func checkServices(p *problems, list string, services []serviceSpec, roles map[string]roleSpec) {
	seen := map[[2]string]int{} // {principal, prefix} -> index of first rule
	for i, s := range services {
		at := field(list, i)
		switch {
		case s.Principal == "" && s.PrincipalPrefix == "":
			p.addf(at, "want one of principal or principal_prefix")
		case s.Principal != "" && s.PrincipalPrefix != "":
			p.addf(at, "want only one of principal or principal_prefix, not both")
		default:
			key := [2]string{s.Principal, s.PrincipalPrefix}
			name, value := "principal", s.Principal
			if s.PrincipalPrefix != "" {
				name, value = "principal_prefix", s.PrincipalPrefix
			}
			if strings.IndexFunc(value, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
				p.addf(field(at, name), "%s %q must not contain whitespace or control characters", name, value)
			}
			if first, dup := seen[key]; dup {
				p.addf(field(at, name), "duplicate %s %q (first at %s)", name, value, field(list, first))
			} else {
				seen[key] = i
			}
		}
		if len(s.Roles) == 0 {
			p.addf(field(at, "roles"), "want at least one role")
		}
		for j, role := range s.Roles {
			if _, ok := roles[role]; !ok {
				p.addf(field(at, "roles", j), "unknown role %q", role)
			}
		}
	}
}

// serviceTable answers ServiceRoles: one map lookup for exact principals,
// then a scan of prefixes, longest first.
type serviceTable struct {
	exact    map[string][]string
	prefixes []prefixRule
}

type prefixRule struct {
	prefix string
	roles  []string
}

// compileServices merges rule lists (base, then the environment's); rules
// for the same principal or prefix have their roles combined.
func compileServices(lists ...[]serviceSpec) serviceTable {
	t := serviceTable{exact: map[string][]string{}}
	byPrefix := map[string][]string{}
	var order []string
	for _, list := range lists {
		for _, s := range list {
			if s.Principal != "" {
				t.exact[s.Principal] = appendNew(t.exact[s.Principal], s.Roles)
				continue
			}
			if _, ok := byPrefix[s.PrincipalPrefix]; !ok {
				order = append(order, s.PrincipalPrefix)
			}
			byPrefix[s.PrincipalPrefix] = appendNew(byPrefix[s.PrincipalPrefix], s.Roles)
		}
	}
	for p, roles := range t.exact {
		t.exact[p] = slices.Clip(roles)
	}
	for _, prefix := range order {
		t.prefixes = append(t.prefixes, prefixRule{prefix: prefix, roles: slices.Clip(byPrefix[prefix])})
	}
	slices.SortStableFunc(t.prefixes, func(a, b prefixRule) int { return cmp.Compare(len(b.prefix), len(a.prefix)) })
	return t
}

// appendNew appends the elements of add not already in dst.
func appendNew(dst, add []string) []string {
	for _, s := range add {
		if !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

// lookup returns the roles for principal; see Policy.ServiceRoles.
func (t *serviceTable) lookup(principal string) []string {
	if roles, ok := t.exact[principal]; ok {
		return roles
	}
	for _, r := range t.prefixes {
		if strings.HasPrefix(principal, r.prefix) {
			return r.roles
		}
	}
	return nil
}
