package token

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// FieldError is one invalid configuration field. Field is the path relative
// to Config, e.g. "issuers[1].algorithms[0]".
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
// *FieldError naming the field; several are joined with errors.Join. File
// paths are used as given and not read here: NewVerifier reports unreadable
// or unsuitable key files.
func (c *Config) Validate() error {
	var errs fieldErrors

	if c.Leeway == 0 {
		c.Leeway = DefaultLeeway
	}
	if c.Leeway < 0 || c.Leeway > maxLeeway {
		errs.add("leeway", "must be between 0s and %s, got %s", maxLeeway, c.Leeway)
	}
	if c.MaxTokenBytes == 0 {
		c.MaxTokenBytes = DefaultMaxTokenBytes
	}
	if c.MaxTokenBytes < minMaxTokenBytes || c.MaxTokenBytes > maxMaxTokenBytes {
		errs.add("max_token_bytes", "must be between %d and %d, got %d", minMaxTokenBytes, maxMaxTokenBytes, c.MaxTokenBytes)
	}
	if c.Cache.MaxEntries == 0 {
		c.Cache.MaxEntries = DefaultCacheMaxEntries
	}
	if c.Cache.MaxEntries < 0 {
		errs.add("cache.max_entries", "must not be negative, got %d (use disabled: true to turn the cache off)", c.Cache.MaxEntries)
	}

	if len(c.Issuers) == 0 {
		errs.add("issuers", "at least one issuer is required")
	}
	seen := make(map[string]int, len(c.Issuers))
	for i := range c.Issuers {
		path := fmt.Sprintf("issuers[%d]", i)
		ic := &c.Issuers[i]
		if prev, dup := seen[ic.Issuer]; dup && ic.Issuer != "" {
			errs.add(path+".issuer", "duplicate issuer %q (also issuers[%d])", ic.Issuer, prev)
		} else {
			seen[ic.Issuer] = i
		}
		ic.validate(path, &errs)
	}

	if c.Signing != nil {
		c.Signing.validate("signing", &errs)
	}
	return errors.Join(errs...)
}

// validate fills the issuer's defaults and checks it; path prefixes errors.
func (ic *IssuerConfig) validate(path string, errs *fieldErrors) {
	if ic.Issuer == "" {
		errs.add(path+".issuer", "is required")
	} else if err := checkSafeString(ic.Issuer); err != nil {
		errs.add(path+".issuer", "%v", err)
	}

	if len(ic.Audiences) == 0 {
		errs.add(path+".audiences", "at least one audience is required")
	}
	for j, a := range ic.Audiences {
		if a == "" {
			errs.add(fmt.Sprintf("%s.audiences[%d]", path, j), "must not be empty")
		}
	}

	if len(ic.Algorithms) == 0 {
		errs.add(path+".algorithms", "at least one algorithm is required")
	}
	var hasHS256, hasAsymmetric bool
	algSeen := make(map[string]bool, len(ic.Algorithms))
	for j, a := range ic.Algorithms {
		field := fmt.Sprintf("%s.algorithms[%d]", path, j)
		switch {
		case !supportedAlgorithm(a):
			errs.add(field, "unsupported algorithm %q (allowed: RS256 RS384 RS512 PS256 ES256 ES384 EdDSA HS256)", a)
		case algSeen[a]:
			errs.add(field, "duplicate algorithm %q", a)
		case a == algHS256:
			hasHS256 = true
		default:
			hasAsymmetric = true
		}
		algSeen[a] = true
	}

	hasHMAC := ic.HMACSecretFile != ""
	hasPublic := ic.JWKSURL != "" || ic.JWKSFile != "" || len(ic.PEMKeys) > 0
	switch {
	case !hasHMAC && !hasPublic:
		errs.add(path, "at least one key source is required (jwks_url, jwks_file, pem_keys or hmac_secret_file)")
	case len(ic.Algorithms) == 0:
		// Already reported; the checks below would only repeat it.
	default:
		if hasHMAC && !hasHS256 {
			errs.add(path+".hmac_secret_file", "is set but HS256 is not in algorithms")
		}
		if hasHS256 && !hasHMAC {
			errs.add(path+".algorithms", "HS256 requires hmac_secret_file")
		}
		if hasPublic && !hasAsymmetric {
			errs.add(path+".algorithms", "public key sources are configured but no asymmetric algorithm is allowed")
		}
		if hasAsymmetric && !hasPublic {
			errs.add(path+".algorithms", "asymmetric algorithms are allowed but no public key source (jwks_url, jwks_file, pem_keys) is configured")
		}
	}

	kids := make(map[string]int, len(ic.PEMKeys))
	for j, k := range ic.PEMKeys {
		field := fmt.Sprintf("%s.pem_keys[%d]", path, j)
		if k.File == "" {
			errs.add(field+".file", "is required")
		}
		if k.KeyID == "" {
			continue
		}
		if prev, dup := kids[k.KeyID]; dup {
			errs.add(field+".kid", "duplicate kid %q (also pem_keys[%d])", k.KeyID, prev)
		}
		kids[k.KeyID] = j
	}

	ic.JWKS.validate(path+".jwks", ic.JWKSURL, errs)
	if ic.JWKSURL != "" {
		checkJWKSURL(path+".jwks_url", ic.JWKSURL, ic.JWKS.AllowHTTP, errs)
	}
	ic.Claims.validate(path+".claims", errs)
}

// checkJWKSURL requires an absolute https URL (http only when allowed).
func checkJWKSURL(field, raw string, allowHTTP bool, errs *fieldErrors) {
	u, err := url.Parse(raw)
	if err != nil {
		errs.add(field, "invalid URL: %v", err)
		return
	}
	switch {
	case u.Host == "":
		errs.add(field, "must be an absolute URL with a host")
	case u.User != nil:
		errs.add(field, "must not contain credentials")
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case u.Scheme == "http":
		errs.add(field, "must use https (set jwks.allow_http for local development)")
	default:
		errs.add(field, "unsupported scheme %q", u.Scheme)
	}
}

// validate fills JWKS fetch defaults and checks them.
func (j *JWKSConfig) validate(path, jwksURL string, errs *fieldErrors) {
	if j.RefreshInterval == 0 {
		j.RefreshInterval = DefaultJWKSRefreshInterval
	}
	if j.UnknownKIDRefetchInterval == 0 {
		j.UnknownKIDRefetchInterval = DefaultUnknownKIDRefetchInterval
	}
	if j.Timeout == 0 {
		j.Timeout = DefaultJWKSTimeout
	}
	checkDuration(errs, path+".refresh_interval", j.RefreshInterval, minJWKSRefresh, 24*time.Hour)
	checkDuration(errs, path+".unknown_kid_refetch_interval", j.UnknownKIDRefetchInterval, minUnknownKIDInterval, time.Hour)
	checkDuration(errs, path+".timeout", j.Timeout, time.Millisecond, maxJWKSTimeout)
	if jwksURL == "" {
		if j.CAFile != "" {
			errs.add(path+".ca_file", "is set but jwks_url is empty")
		}
		if j.AllowHTTP {
			errs.add(path+".allow_http", "is set but jwks_url is empty")
		}
	}
}

func checkDuration(errs *fieldErrors, field string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		errs.add(field, "must be between %s and %s, got %s", lo, hi, d)
	}
}

// validate fills the default claim names and checks the paths.
func (cc *ClaimsConfig) validate(path string, errs *fieldErrors) {
	for _, f := range []struct {
		name string
		val  *string
		def  string
	}{
		{"subject", &cc.Subject, DefaultSubjectClaim},
		{"roles", &cc.Roles, DefaultRolesClaim},
		{"tenant", &cc.Tenant, DefaultTenantClaim},
		{"session_id", &cc.SessionID, DefaultSessionIDClaim},
	} {
		if *f.val == "" {
			*f.val = f.def
		}
		if err := checkClaimPath(*f.val); err != nil {
			errs.add(path+"."+f.name, "%v", err)
		}
	}
}

// checkClaimPath rejects paths with empty segments ("a..b", ".a", "a.").
func checkClaimPath(p string) error {
	for seg := range strings.SplitSeq(p, ".") {
		if seg == "" {
			return fmt.Errorf("invalid claim path %q: empty segment", p)
		}
	}
	return nil
}

// validate checks the signing key settings; the key file is read by NewSigner.
func (s *SigningConfig) validate(path string, errs *fieldErrors) {
	if s.Issuer == "" {
		errs.add(path+".issuer", "is required")
	}
	if s.Audience == "" {
		errs.add(path+".audience", "is required")
	}
	if s.KeyFile == "" {
		errs.add(path+".key_file", "is required")
	}
	if s.KeyID == "" {
		errs.add(path+".kid", "is required")
	}
	if s.Algorithm != "" && (!supportedAlgorithm(s.Algorithm) || s.Algorithm == algHS256) {
		errs.add(path+".algorithm", "unsupported signing algorithm %q (allowed: RS256 RS384 RS512 PS256 ES256 ES384 EdDSA)", s.Algorithm)
	}
}
