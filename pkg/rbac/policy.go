package rbac

import "github.com/martyedge/security/pkg/limits"

// Policy is a compiled authorization policy for one environment. It is
// immutable once returned by Parse and safe for concurrent use.
type Policy struct {
	version     string
	environment string

	roleIndex map[string]int // role name -> index into roles
	roles     []roleGrants
	grantIDs  grantIndex

	services serviceTable
	routes   []compiledRoute
	sessions sessionRule

	rateLimits *limits.Spec
}

// Version identifies the policy content: "sha256:" followed by the first
// 16 hex digits of the SHA-256 of the file, for logs and decision records.
func (p *Policy) Version() string { return p.version }

// Environment returns the environment the policy was compiled for.
func (p *Policy) Environment() string { return p.environment }

// HasRole reports whether the policy defines the role.
func (p *Policy) HasRole(name string) bool {
	_, ok := p.roleIndex[name]
	return ok
}

// Allowed reports whether any of roles holds a grant for permission:
// exactly, as "resource:*", as "*:action" or as "*". Unknown roles grant
// nothing, and a permission that is not concrete ("resource:action"
// without wildcards) is never allowed. It does not allocate.
func (p *Policy) Allowed(roles []string, permission string) bool {
	resource, action, ok := splitConcrete(permission)
	if !ok || len(roles) == 0 {
		return false
	}
	permID, hasPerm := p.grantIDs.perms[permission]
	resID, hasRes := p.grantIDs.resources[resource]
	actID, hasAct := p.grantIDs.actions[action]
	for _, name := range roles {
		i, ok := p.roleIndex[name]
		if !ok {
			continue
		}
		g := &p.roles[i]
		if g.all ||
			hasPerm && g.perms.has(permID) ||
			hasRes && g.resources.has(resID) ||
			hasAct && g.actions.has(actID) {
			return true
		}
	}
	return false
}

// ServiceRoles returns the roles granted to an mTLS principal (Envoy's
// source.principal, such as "spiffe://cluster.local/ns/billing/sa/billing"),
// or nil if no rule matches. An exact principal rule wins over prefix rules;
// among prefix rules the longest prefix wins. The slice belongs to the
// policy and must not be modified; it does not allocate.
func (p *Policy) ServiceRoles(principal string) []string {
	return p.services.lookup(principal)
}
