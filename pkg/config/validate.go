package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/martyedge/security/internal/yamlx"
	"github.com/martyedge/security/pkg/admin"
	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
)

// validator collects every error instead of stopping at the first, so a
// user fixes a config in one round.
type validator struct {
	file    string
	root    *yaml.Node
	fromEnv map[string]string // field path -> environment variable that set it
	errs    []error
}

// fail records an error at a field path such as "listen.grpc". A value set
// by an environment variable is blamed on the variable, not the file.
func (v *validator) fail(field, format string, args ...any) {
	if env, ok := v.fromEnv[field]; ok {
		v.errs = append(v.errs, fmt.Errorf("%s (%s): %s", env, field, fmt.Sprintf(format, args...)))
		return
	}
	v.errs = append(v.errs, yamlx.Errorf(v.file, v.root, field, format, args...))
}

func (c *Config) validate(v *validator) {
	if !slices.Contains(Environments, c.Environment) {
		v.fail("environment", "must be one of %s, got %q", strings.Join(Environments, ", "), c.Environment)
	}
	if c.Policy == "" {
		v.fail("policy", "is required: the RBAC policy file")
	}
	for _, l := range []struct{ field, addr string }{{"listen.grpc", c.Listen.GRPC}, {"listen.admin", c.Listen.Admin}} {
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			v.fail(l.field, "invalid listen address %q: want host:port", l.addr)
		}
	}
	if c.Listen.GRPC == c.Listen.Admin && !strings.HasSuffix(c.Listen.GRPC, ":0") {
		v.fail("listen.admin", "must differ from listen.grpc")
	}
	if c.GRPC.MaxRecvBytes < 64<<10 {
		v.fail("grpc.max_recv_bytes", "must be at least 65536 (Envoy sends up to 60 KiB of headers)")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.fail("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		v.fail("log.format", "must be json or text, got %q", c.Log.Format)
	}
	if c.Shutdown.DrainDelay < 0 {
		v.fail("shutdown.drain_delay", "must not be negative")
	}
	if c.Shutdown.Timeout < 0 {
		v.fail("shutdown.timeout", "must not be negative")
	}
	c.validateAuthz(v)
	c.validateSessions(v)
	c.validateAdminAPI(v)
	if err := c.Authn.Validate(); err != nil {
		v.nested("authn", err)
	}
}

func (c *Config) validateAuthz(v *validator) {
	for i, p := range c.Authz.ExcludedPaths {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#") {
			v.fail(fmt.Sprintf("authz.excluded_paths[%d]", i), "must be an absolute path without query, got %q", p)
		}
	}
	h := c.Authz.IdentityHeaders
	names := map[string]string{
		"authz.identity_headers.subject":   h.Subject,
		"authz.identity_headers.roles":     h.Roles,
		"authz.identity_headers.tenant":    h.Tenant,
		"authz.identity_headers.principal": h.Principal,
		"authz.token_header":               c.Authz.TokenHeader,
	}
	seen := map[string]string{}
	for _, field := range slices.Sorted(maps.Keys(names)) {
		name := names[field]
		if name == "" && field == "authz.token_header" {
			continue
		}
		if !validHeaderName(name) {
			v.fail(field, "invalid header name %q", name)
			continue
		}
		lower := strings.ToLower(name)
		if lower == "authorization" || lower == "cookie" || lower == "host" {
			v.fail(field, "header %q cannot be used here", name)
		}
		if other, dup := seen[lower]; dup {
			v.fail(field, "header %q is also used by %s", name, other)
		}
		seen[lower] = field
	}
	if c.Authz.TokenCookie != "" && !validHeaderName(c.Authz.TokenCookie) {
		v.fail("authz.token_cookie", "invalid cookie name %q", c.Authz.TokenCookie)
	}
}

func (c *Config) validateSessions(v *validator) {
	s := &c.Sessions
	v.store("sessions", s.Store, &s.Redis, s.FailMode, s.Timeout)
	r := &c.RateLimit
	v.store("rate_limit", r.Store, &r.Redis, r.FailMode, r.Timeout)
}

// store checks the settings shared by the session store and the rate
// limiter: the kind, its Redis connection, the fail mode and the timeout.
func (v *validator) store(prefix, kind string, redis *session.RedisConfig, failMode string, timeout time.Duration) {
	switch kind {
	case StoreMemory:
	case StoreRedis:
		if err := redis.Validate(); err != nil {
			v.nested(prefix+".redis", err)
		}
	default:
		v.fail(prefix+".store", "must be %s or %s, got %q", StoreMemory, StoreRedis, kind)
	}
	if failMode != FailModeClosed && failMode != FailModeOpen {
		v.fail(prefix+".fail_mode", "must be %s or %s, got %q", FailModeClosed, FailModeOpen, failMode)
	}
	if timeout < 0 || timeout > time.Second {
		v.fail(prefix+".timeout", "must be between 0 and 1s (it has to fit inside Envoy's ext_authz timeout), got %s", timeout)
	}
}

func (c *Config) validateAdminAPI(v *validator) {
	if c.Issuing != nil {
		// Validate fills defaults in place, so the server sees them too.
		if err := c.Issuing.Validate(); err != nil {
			v.nested("issuing", err)
		}
	}
	a := &c.AdminAPI
	if !a.Enabled {
		return
	}
	if _, _, err := net.SplitHostPort(a.Listen); err != nil {
		v.fail("admin_api.listen", "invalid listen address %q: want host:port", a.Listen)
	}
	for _, other := range []string{c.Listen.GRPC, c.Listen.Admin} {
		if a.Listen == other && !strings.HasSuffix(a.Listen, ":0") {
			v.fail("admin_api.listen", "must differ from listen.grpc and listen.admin")
		}
	}
	if c.Issuing == nil {
		v.fail("admin_api.enabled", "the admin API issues tokens: configure issuing (issuer, audience, keys)")
	}
	ac := admin.Config{Auth: a.Auth, Sessions: a.Sessions}
	if err := ac.Validate(); err != nil {
		v.nested("admin_api", err)
	}
	a.Auth, a.Sessions = ac.Auth, ac.Sessions
}

// nested places a sub-configuration's field errors under prefix: each
// package reports fields relative to its own config (token.FieldError,
// session.FieldError), and the line is looked up here.
func (v *validator) nested(prefix string, err error) {
	var multi interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &multi) {
		errs = multi.Unwrap()
	}
	for _, e := range errs {
		var tfe *token.FieldError
		var sfe *session.FieldError
		var afe *admin.FieldError
		switch {
		case errors.As(e, &afe):
			v.fail(prefix+"."+afe.Field, "%s", afe.Msg)
		case errors.As(e, &tfe):
			v.fail(prefix+"."+tfe.Field, "%s", tfe.Msg)
		case errors.As(e, &sfe):
			v.fail(prefix+"."+sfe.Field, "%s", sfe.Msg)
		default:
			v.fail(prefix, "%v", e)
		}
	}
}

// validHeaderName reports whether s is an HTTP field name (RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" || s[0] == ':' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
