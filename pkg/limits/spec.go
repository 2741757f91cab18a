package limits

import "time"

// These types mirror the policy's rate_limits section one to one (see the
// package comment for the schema and its meaning). pkg/rbac decodes them
// strictly, calls [Spec.Validate] and hands the result out unchanged, so a
// Spec returned by a loaded policy is valid and must not be modified.

// Spec is the policy's rate_limits section.
type Spec struct {
	// PerUser holds the limits ext_authz enforces itself, per caller.
	PerUser *PerUser `yaml:"per_user"`
	// Global holds the rules compiled for envoyproxy/ratelimit.
	Global *Global `yaml:"global"`
}

// PerUser is the per_user part: a default limit and limits by role.
type PerUser struct {
	// Default applies to a caller none of whose roles is listed in Roles.
	Default *UserLimit `yaml:"default"`
	// Roles maps a role name to its limit; see [PerUser.Resolve] for
	// callers with several roles.
	Roles map[string]UserLimit `yaml:"roles"`
}

// UserLimit is one per-user limit: a short-window burst limit, a
// long-window quota, or both; or no limit at all.
type UserLimit struct {
	Burst     *Window `yaml:"burst"`
	Quota     *Window `yaml:"quota"`
	Unlimited bool    `yaml:"unlimited"`
}

// Window allows Requests requests per Per.
type Window struct {
	Requests int64         `yaml:"requests"`
	Per      time.Duration `yaml:"per"`
}

// Global is the global part: the rules for envoyproxy/ratelimit.
type Global struct {
	// Domain is the rate-limit domain shared by the service configuration
	// and Envoy's ratelimit filter.
	Domain string `yaml:"domain"`
	Rules  []Rule `yaml:"rules"`
}

// Rule limits the requests whose descriptor matches its entries.
type Rule struct {
	Name string `yaml:"name"`
	// Descriptor lists the entries of the descriptor Envoy sends, in
	// order; each is one level of the service configuration's nesting.
	Descriptor []Entry    `yaml:"descriptor"`
	Limit      *RuleLimit `yaml:"limit"`
	Unlimited  bool       `yaml:"unlimited"`
	ShadowMode bool       `yaml:"shadow_mode"`
	Replaces   []string   `yaml:"replaces"`
}

// RuleLimit is Requests per Unit (second, minute, hour or day).
type RuleLimit struct {
	Requests int64  `yaml:"requests"`
	Unit     string `yaml:"unit"`
}

// Entry is one descriptor entry: exactly one source (RemoteAddress,
// Header, Metadata, GenericKey, Route or PathPrefix) and, for the sources
// whose value varies per request, an optional exact Value to match.
type Entry struct {
	RemoteAddress bool             `yaml:"remote_address"`
	Header        *HeaderEntry     `yaml:"header"`
	Metadata      *MetadataEntry   `yaml:"metadata"`
	GenericKey    *GenericKeyEntry `yaml:"generic_key"`
	Route         string           `yaml:"route"`
	PathPrefix    string           `yaml:"path_prefix"`
	Value         string           `yaml:"value"`
}

// HeaderEntry reads a request header (Envoy's request_headers action).
type HeaderEntry struct {
	Name          string `yaml:"name"`
	DescriptorKey string `yaml:"descriptor_key"`
}

// MetadataEntry reads a key of the dynamic metadata this server returns
// to Envoy (Envoy's metadata action, namespace [MetadataNamespace]).
type MetadataEntry struct {
	Key           string `yaml:"key"`
	DescriptorKey string `yaml:"descriptor_key"`
	Default       string `yaml:"default"`
}

// GenericKeyEntry is a constant entry (Envoy's generic_key action).
type GenericKeyEntry struct {
	DescriptorKey string `yaml:"descriptor_key"`
	Value         string `yaml:"value"`
}
