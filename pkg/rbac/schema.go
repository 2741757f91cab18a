package rbac

import "github.com/martyedge/security/pkg/limits"

// These types mirror the policy file one to one (see the package comment);
// they are decoded strictly by yamlx and then validated and compiled into a
// Policy. They never escape the package.

type policyFile struct {
	Version      *int                           `yaml:"version"`
	Roles        map[string]roleSpec            `yaml:"roles"`
	Services     []serviceSpec                  `yaml:"services"`
	Environments map[string]environmentOverride `yaml:"environments"`
	Routes       []routeSpec                    `yaml:"routes"`
	Sessions     *sessionsSpec                  `yaml:"sessions"`
	RateLimits   *limits.Spec                   `yaml:"rate_limits"`
}

type roleSpec struct {
	Description string   `yaml:"description"`
	Inherits    []string `yaml:"inherits"`
	Permissions []string `yaml:"permissions"`
}

type serviceSpec struct {
	Principal       string   `yaml:"principal"`
	PrincipalPrefix string   `yaml:"principal_prefix"`
	Roles           []string `yaml:"roles"`
}

type environmentOverride struct {
	Roles    map[string]roleOverride `yaml:"roles"`
	Services []serviceSpec           `yaml:"services"`
}

type roleOverride struct {
	Revoke []string `yaml:"revoke"`
	Grant  []string `yaml:"grant"`
}

type routeSpec struct {
	Name       string   `yaml:"name"`
	Path       string   `yaml:"path"`
	Prefix     string   `yaml:"prefix"`
	Regex      string   `yaml:"regex"`
	Methods    []string `yaml:"methods"`
	Permission string   `yaml:"permission"`
	Public     bool     `yaml:"public"`
	Shadow     bool     `yaml:"shadow"`
}
