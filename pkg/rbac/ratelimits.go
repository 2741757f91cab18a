package rbac

import "github.com/martyedge/security/pkg/limits"

// checkRateLimits validates the rate_limits section (owned by pkg/limits)
// against the roles and routes this policy defines.
func checkRateLimits(p *problems, s *limits.Spec, roles map[string]roleSpec, routes []routeSpec) {
	if s == nil {
		return
	}
	refs := limits.Refs{
		Role: func(name string) bool {
			_, ok := roles[name]
			return ok
		},
		Route: func(name string) bool {
			for _, r := range routes {
				if r.Name == name {
					return true
				}
			}
			return false
		},
	}
	for _, pr := range s.Validate(refs) {
		p.addAt(inSection(pr.Path), inSection(pr.Field), pr.Msg)
	}
}

// inSection turns a field relative to rate_limits into one relative to
// the file; the empty field is the section itself.
func inSection(f string) string {
	if f == "" {
		return "rate_limits"
	}
	return "rate_limits." + f
}

// RateLimits returns the policy's rate_limits section, or nil if it has
// none. It is valid (see pkg/limits), the same for every environment, and
// belongs to the policy: it must not be modified.
func (p *Policy) RateLimits() *limits.Spec { return p.rateLimits }
