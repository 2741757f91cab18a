package admin

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Defaults filled in by Config.Validate.
const (
	DefaultSessionLifetime    = 12 * time.Hour
	DefaultSessionMaxLifetime = 7 * 24 * time.Hour
	DefaultSessionIdleTimeout = 30 * time.Minute
)

// Bounds on session durations, against typos ("30" read as 30ns) rather
// than for tuning. A session shorter than a minute is not a login.
const (
	minSessionDuration = time.Minute
	maxSessionDuration = 366 * 24 * time.Hour
)

// Config configures the session admin API. The caller decodes it (strict
// YAML, snake_case keys) and New validates it.
//
//	auth:
//	  token_file: secrets/admin-token
//	  tls:
//	    cert_file: tls/admin.crt
//	    key_file: tls/admin.key
//	    client_ca_file: tls/clients-ca.crt
//	    allowed_uris: [spiffe://cluster.local/ns/login/sa/login]
//	sessions:
//	  default_lifetime: 12h
//	  max_lifetime: 168h
//	  default_idle_timeout: 30m
type Config struct {
	// Auth says how callers authenticate; at least one method is required.
	Auth AuthConfig `yaml:"auth"`
	// Sessions bounds what CreateSession may ask for.
	Sessions SessionConfig `yaml:"sessions"`
}

// AuthConfig lists the ways an admin caller is authenticated. Every method
// configured must pass; at least one is required.
type AuthConfig struct {
	// TokenFile holds the admin bearer token: at least 32 bytes, one
	// trailing newline dropped. Callers send "authorization: Bearer <token>".
	TokenFile string `yaml:"token_file"`
	// TLS requires an mTLS client certificate (see ServerCredentials).
	TLS *TLSConfig `yaml:"tls"`
}

// TLSConfig is the admin server's certificate and the CA its clients'
// certificates must chain to.
type TLSConfig struct {
	// CertFile is the server certificate chain (PEM); required.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the server's private key (PEM); required.
	KeyFile string `yaml:"key_file"`
	// ClientCAFile is the CA bundle (PEM) client certificates must chain
	// to; required.
	ClientCAFile string `yaml:"client_ca_file"`
	// AllowedURIs, when set with or without AllowedCommonNames, restricts
	// callers to client certificates with one of these URI SANs (SPIFFE
	// IDs), compared exactly.
	AllowedURIs []string `yaml:"allowed_uris"`
	// AllowedCommonNames restricts callers to certificates with one of
	// these subject common names. With both lists empty, any certificate
	// signed by the CA is accepted.
	AllowedCommonNames []string `yaml:"allowed_common_names"`
}

// SessionConfig bounds the sessions CreateSession creates.
type SessionConfig struct {
	// DefaultLifetime is a session's absolute lifetime when the request
	// gives none (default 12h).
	DefaultLifetime time.Duration `yaml:"default_lifetime"`
	// MaxLifetime is the longest lifetime a request may ask for (default
	// 168h).
	MaxLifetime time.Duration `yaml:"max_lifetime"`
	// DefaultIdleTimeout ends a session not used for this long, when the
	// request gives no idle timeout (default 30m).
	DefaultIdleTimeout time.Duration `yaml:"default_idle_timeout"`
}

// FieldError is one invalid configuration field. Field is the path relative
// to Config, e.g. "auth.tls.cert_file".
type FieldError struct {
	Field string
	Msg   string
}

// Error returns "field: msg".
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// fieldErrors accumulates *FieldError values.
type fieldErrors []error

func (fe *fieldErrors) add(field, format string, args ...any) {
	*fe = append(*fe, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Validate fills defaults in place and checks every field. Each problem is a
// *FieldError; several are joined with errors.Join. Files are read by New
// and ServerCredentials, not here.
func (c *Config) Validate() error {
	var errs fieldErrors
	if c.Auth.TokenFile == "" && c.Auth.TLS == nil {
		errs.add("auth", "at least one of token_file or tls is required: the admin API is never open")
	}
	if t := c.Auth.TLS; t != nil {
		for _, f := range []struct{ name, val string }{
			{"cert_file", t.CertFile}, {"key_file", t.KeyFile}, {"client_ca_file", t.ClientCAFile},
		} {
			if f.val == "" {
				errs.add("auth.tls."+f.name, "is required")
			}
		}
		for i, u := range t.AllowedURIs {
			if p, err := url.Parse(u); err != nil || p.Scheme == "" {
				errs.add(fmt.Sprintf("auth.tls.allowed_uris[%d]", i), "%q is not an absolute URI", u)
			}
		}
		for i, cn := range t.AllowedCommonNames {
			if cn == "" {
				errs.add(fmt.Sprintf("auth.tls.allowed_common_names[%d]", i), "must not be empty")
			}
		}
	}

	s := &c.Sessions
	for _, d := range []struct {
		name string
		val  *time.Duration
		def  time.Duration
	}{
		{"default_lifetime", &s.DefaultLifetime, DefaultSessionLifetime},
		{"max_lifetime", &s.MaxLifetime, DefaultSessionMaxLifetime},
		{"default_idle_timeout", &s.DefaultIdleTimeout, DefaultSessionIdleTimeout},
	} {
		if *d.val == 0 {
			*d.val = d.def
		}
		if *d.val < minSessionDuration || *d.val > maxSessionDuration {
			errs.add("sessions."+d.name, "must be between %s and %s, got %s", minSessionDuration, maxSessionDuration, *d.val)
		}
	}
	if s.DefaultLifetime > s.MaxLifetime {
		errs.add("sessions.default_lifetime", "%s exceeds max_lifetime %s", s.DefaultLifetime, s.MaxLifetime)
	}
	return errors.Join(errs...)
}
