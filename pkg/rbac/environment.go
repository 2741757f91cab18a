package rbac

import (
	"errors"
	"fmt"
)

// ErrUnknownEnvironment is wrapped by the error Parse returns when the
// selected environment is not development, staging or production.
var ErrUnknownEnvironment = errors.New("unknown environment")

// environmentNames is for messages; knownEnvironment is the authority.
const environmentNames = "development, staging or production"

func knownEnvironment(name string) bool {
	switch name {
	case "development", "staging", "production":
		return true
	}
	return false
}

// checkSelectedEnvironment validates the environment Parse was asked for.
// It is not a position in the file, so the error names only the file.
func checkSelectedEnvironment(p *problems, env string) {
	if !knownEnvironment(env) {
		p.add(fmt.Errorf("%w %q: want %s", ErrUnknownEnvironment, env, environmentNames))
	}
}

// checkEnvironments validates every environment section, not only the
// selected one, so that a policy accepted in staging is also accepted in
// production.
func checkEnvironments(p *problems, f *policyFile) {
	for _, env := range sortedKeys(f.Environments) {
		o := f.Environments[env]
		if !knownEnvironment(env) {
			p.addf(field("environments", env), "unknown environment %q (want %s)", env, environmentNames)
		}
		for _, name := range sortedKeys(o.Roles) {
			checkRoleOverride(p, f.Roles, env, name, o.Roles[name])
		}
		checkServices(p, field("environments", env, "services"), o.Services, f.Roles)
	}
}

func checkRoleOverride(p *problems, roles map[string]roleSpec, env, name string, o roleOverride) {
	base, ok := roles[name]
	if !ok {
		p.addf(field("environments", env, "roles", name), "override of unknown role %q", name)
		return
	}
	own := make(map[grant]bool, len(base.Permissions))
	for _, s := range base.Permissions {
		if g, err := parseGrant(s); err == nil {
			own[g] = true
		}
	}
	for i, s := range o.Revoke {
		g, err := parseGrant(s)
		switch {
		case err != nil:
			p.addf(field("environments", env, "roles", name, "revoke", i), "%w", err)
		case !own[g]:
			p.addf(field("environments", env, "roles", name, "revoke", i),
				"cannot revoke %q: it is not among the permissions of role %q", s, name)
		}
	}
	for i, s := range o.Grant {
		if _, err := parseGrant(s); err != nil {
			p.addf(field("environments", env, "roles", name, "grant", i), "%w", err)
		}
	}
}
