package rbac

import "slices"

// sessionsSpec is the policy's "sessions" section: whether a bearer token
// must name a live server-side session, and which roles may go without one.
type sessionsSpec struct {
	Required         bool     `yaml:"required"`
	OptionalForRoles []string `yaml:"optional_for_roles"`
}

// sessionRule is the compiled sessions section.
type sessionRule struct {
	required bool
	optional map[string]struct{}
}

func checkSessions(p *problems, s *sessionsSpec, roles map[string]roleSpec) {
	if s == nil {
		return
	}
	for i, role := range s.OptionalForRoles {
		if _, ok := roles[role]; !ok {
			p.addf(field("sessions.optional_for_roles", i), "unknown role %q", role)
		}
	}
	if len(s.OptionalForRoles) > 0 && !s.Required {
		p.addf("sessions.optional_for_roles", "only meaningful with required: true")
	}
}

func compileSessions(s *sessionsSpec) sessionRule {
	if s == nil {
		return sessionRule{}
	}
	r := sessionRule{required: s.Required, optional: make(map[string]struct{}, len(s.OptionalForRoles))}
	for _, role := range s.OptionalForRoles {
		r.optional[role] = struct{}{}
	}
	return r
}

// SessionRequired reports whether a token carrying roles but no session id
// must be refused. When the policy requires sessions, a token may go
// without one only if it has roles and every one of them is listed in
// sessions.optional_for_roles (service accounts, for example): a token that
// also claims any other role needs a session, so the session's roles, not
// the token's, decide.
func (p *Policy) SessionRequired(roles []string) bool {
	if !p.sessions.required {
		return false
	}
	if len(roles) == 0 {
		return true
	}
	return slices.ContainsFunc(roles, func(r string) bool {
		_, ok := p.sessions.optional[r]
		return !ok
	})
}
