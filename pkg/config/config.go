// Package config loads the service configuration of the extauthz server:
// one YAML file, overridden by EXTAUTHZ_* environment variables, with every
// default filled in one place and every error naming the file, line and
// field (or the environment variable) at fault.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/martyedge/security/internal/yamlx"
	"github.com/martyedge/security/pkg/admin"
	"github.com/martyedge/security/pkg/authz"
	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
)

// Environments a deployment can run in; the policy's environment overrides
// are keyed by the same names.
var Environments = []string{"development", "staging", "production"}

// Config is the whole service configuration.
type Config struct {
	// Environment selects the policy's environment overrides.
	Environment string `yaml:"environment"`
	// Policy is the RBAC policy file, relative to the config file.
	Policy   string       `yaml:"policy"`
	Listen   Listen       `yaml:"listen"`
	GRPC     GRPC         `yaml:"grpc"`
	Authn    token.Config `yaml:"authn"`
	Authz    Authz        `yaml:"authz"`
	Sessions Sessions     `yaml:"sessions"`
	// RateLimit configures where the policy's per-user limits are counted.
	RateLimit RateLimit `yaml:"rate_limit"`
	// Issuing holds the keys this server signs its own session tokens
	// with (the admin API); its public keys are published at
	// /.well-known/jwks.json on the admin listener and trusted by the
	// server's own verifier. Required when admin_api is enabled.
	Issuing  *token.IssuingConfig `yaml:"issuing"`
	AdminAPI AdminAPI             `yaml:"admin_api"`
	Log      Log                  `yaml:"log"`
	Shutdown Shutdown             `yaml:"shutdown"`

	// Path is the file the configuration was loaded from (not a YAML key).
	Path string `yaml:"-"`
}

// Listen holds the listener addresses.
type Listen struct {
	// GRPC serves envoy.service.auth.v3.Authorization and grpc.health.v1.
	GRPC string `yaml:"grpc"`
	// Admin serves /healthz and /readyz over HTTP.
	Admin string `yaml:"admin"`
}

// GRPC tunes the gRPC server.
type GRPC struct {
	// Reflection exposes the gRPC reflection service (for grpcurl); off by
	// default because it advertises the API surface.
	Reflection bool `yaml:"reflection"`
	// MaxRecvBytes caps one CheckRequest. Envoy's default header limit is
	// 60 KiB; a buffered body adds max_request_bytes.
	MaxRecvBytes int `yaml:"max_recv_bytes"`
	// MaxConcurrentStreams caps in-flight Checks per Envoy connection.
	MaxConcurrentStreams uint32 `yaml:"max_concurrent_streams"`
}

// Authz configures the decision pipeline.
type Authz struct {
	// Shadow evaluates every request but allows it, logging the would-be
	// denial (dry run for a new policy).
	Shadow bool `yaml:"shadow"`
	// ExcludedPaths are exact paths allowed without authentication.
	ExcludedPaths []string `yaml:"excluded_paths"`
	// TokenHeader optionally names a header carrying the raw token.
	TokenHeader string `yaml:"token_header"`
	// TokenCookie optionally names a cookie carrying the raw token.
	TokenCookie string `yaml:"token_cookie"`
	// Realm is sent in WWW-Authenticate challenges.
	Realm           string          `yaml:"realm"`
	IdentityHeaders IdentityHeaders `yaml:"identity_headers"`
}

// IdentityHeaders names the headers set for the upstream on allow.
type IdentityHeaders struct {
	Subject   string `yaml:"subject"`
	Roles     string `yaml:"roles"`
	Tenant    string `yaml:"tenant"`
	Principal string `yaml:"principal"`
}

// Sessions configures the server-side session store.
type Sessions struct {
	// Store is "memory" (default: sessions live in this process, so only
	// for a single replica) or "redis" (shared by every replica).
	Store string              `yaml:"store"`
	Redis session.RedisConfig `yaml:"redis"`
	// FailMode says what a Check does when the store cannot answer:
	// "closed" (default) answers 503 with Retry-After, "open" decides on
	// the token alone.
	FailMode string `yaml:"fail_mode"`
	// Timeout bounds one lookup; keep it well inside Envoy's ext_authz
	// timeout (200 ms by default).
	Timeout time.Duration `yaml:"timeout"`
}

// AdminAPI configures the session admin gRPC API
// (marty.authz.v1.SessionService): off by default, on its own port, and
// only with authentication (an admin token file, mTLS, or both).
type AdminAPI struct {
	Enabled  bool                `yaml:"enabled"`
	Listen   string              `yaml:"listen"`
	Auth     admin.AuthConfig    `yaml:"auth"`
	Sessions admin.SessionConfig `yaml:"sessions"`
}

// RateLimit configures the per-user rate limiter (the limits themselves
// are in the policy, rate_limits.per_user).
type RateLimit struct {
	// Store is "memory" (default: counts are per replica, so with N
	// replicas a caller gets up to N times its limit) or "redis" (shared).
	Store string              `yaml:"store"`
	Redis session.RedisConfig `yaml:"redis"`
	// FailMode says what a Check does when the limiter cannot answer:
	// "open" (default) lets it through uncounted, "closed" answers 503.
	FailMode string `yaml:"fail_mode"`
	// Timeout bounds one limiter call.
	Timeout time.Duration `yaml:"timeout"`
}

// Session store kinds and fail modes.
const (
	StoreMemory    = "memory"
	StoreRedis     = "redis"
	FailModeClosed = "closed"
	FailModeOpen   = "open"
)

// Log configures the process logger.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json (default, for log collectors) or text.
	Format string `yaml:"format"`
}

// Shutdown configures graceful termination on SIGTERM.
type Shutdown struct {
	// DrainDelay is how long the server reports NOT_SERVING while still
	// answering, so Envoy and Kubernetes stop sending before it stops.
	DrainDelay time.Duration `yaml:"drain_delay"`
	// Timeout bounds the wait for in-flight Checks after the drain delay.
	Timeout time.Duration `yaml:"timeout"`
}

// Load reads the configuration file at path, applies EXTAUTHZ_* overrides
// from environ (os.Environ() in production), fills defaults and validates.
// Relative file paths are resolved against the config file's directory.
func Load(path string, environ []string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, environ)
}

// Parse is Load on bytes already read; filename is used in errors and to
// resolve relative paths.
func Parse(filename string, data []byte, environ []string) (*Config, error) {
	var c Config
	root, err := yamlx.DecodeStrict(filename, data, &c)
	if err != nil {
		return nil, err
	}
	fromEnv, err := applyEnv(&c, environ)
	if err != nil {
		return nil, err
	}
	c.Path = filename
	c.setDefaults()
	c.resolvePaths(filepath.Dir(filename))
	v := validator{file: filename, root: root, fromEnv: fromEnv}
	c.validate(&v)
	if err := errors.Join(v.errs...); err != nil {
		return nil, err
	}
	return &c, nil
}

// setDefaults fills every default of the service's own settings; token
// settings are defaulted by token.Config.Validate.
func (c *Config) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Environment, "development")
	def(&c.Listen.GRPC, ":9001")
	def(&c.Listen.Admin, ":9002")
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "json")
	def(&c.Authz.Realm, "api")
	def(&c.Sessions.Store, StoreMemory)
	def(&c.Sessions.FailMode, FailModeClosed)
	def(&c.AdminAPI.Listen, ":9003")
	def(&c.RateLimit.Store, StoreMemory)
	def(&c.RateLimit.FailMode, FailModeOpen)
	if c.RateLimit.Timeout == 0 {
		c.RateLimit.Timeout = 50 * time.Millisecond
	}
	if c.Sessions.Timeout == 0 {
		c.Sessions.Timeout = 50 * time.Millisecond
	}
	ih := authz.DefaultIdentityHeaders()
	def(&c.Authz.IdentityHeaders.Subject, ih.Subject)
	def(&c.Authz.IdentityHeaders.Roles, ih.Roles)
	def(&c.Authz.IdentityHeaders.Tenant, ih.Tenant)
	def(&c.Authz.IdentityHeaders.Principal, ih.Principal)
	if c.GRPC.MaxRecvBytes == 0 {
		c.GRPC.MaxRecvBytes = 4 << 20
	}
	if c.GRPC.MaxConcurrentStreams == 0 {
		c.GRPC.MaxConcurrentStreams = 1024
	}
	if c.Shutdown.Timeout == 0 {
		c.Shutdown.Timeout = 15 * time.Second
	}
}

func (c *Config) resolvePaths(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.Policy)
	for i := range c.Authn.Issuers {
		is := &c.Authn.Issuers[i]
		abs(&is.JWKSFile)
		abs(&is.HMACSecretFile)
		abs(&is.JWKS.CAFile)
		for j := range is.PEMKeys {
			abs(&is.PEMKeys[j].File)
		}
	}
	if c.Authn.Signing != nil {
		abs(&c.Authn.Signing.KeyFile)
	}
	if c.Issuing != nil {
		for i := range c.Issuing.Keys {
			abs(&c.Issuing.Keys[i].KeyFile)
		}
	}
	abs(&c.AdminAPI.Auth.TokenFile)
	if t := c.AdminAPI.Auth.TLS; t != nil {
		abs(&t.CertFile)
		abs(&t.KeyFile)
		abs(&t.ClientCAFile)
	}
	abs(&c.Sessions.Redis.PasswordFile)
	abs(&c.Sessions.Redis.SentinelPasswordFile)
	for _, r := range []*session.RedisConfig{&c.Sessions.Redis, &c.RateLimit.Redis} {
		abs(&r.TLS.CAFile)
	}
	abs(&c.RateLimit.Redis.PasswordFile)
	abs(&c.RateLimit.Redis.SentinelPasswordFile)
	abs(&c.Sessions.Redis.TLS.CAFile)
}
