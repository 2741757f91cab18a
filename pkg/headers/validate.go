package headers

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HSTS max_age bounds: two years is the longest value browsers and the
// preload list recommend; the preload list requires at least one year.
const (
	maxHSTSAge     = 2 * 365 * 24 * 3600
	minPreloadHSTS = 365 * 24 * 3600
)

// Validate checks the section and returns its problems (nil if valid),
// with fields relative to the section. environments lists the
// environment names the policy knows; nil means [DefaultEnvironments].
func (s *Spec) Validate(environments []string) []Problem {
	if s == nil {
		return nil
	}
	if environments == nil {
		environments = DefaultEnvironments
	}
	c := &collector{}
	for _, name := range sortedKeys(s.Profiles) {
		checkProfile(c, at("profiles").key(name), name, s.Profiles[name], environments)
	}
	for _, env := range sortedKeys(s.Environments) {
		a := at("environments").key(env)
		if !slices.Contains(environments, env) {
			c.addf(a, "unknown environment %q: want %s", env, strings.Join(environments, ", "))
			continue
		}
		e := s.Environments[env]
		if e.DefaultProfile != "" {
			p, ok := s.Profiles[e.DefaultProfile]
			switch {
			case !ok:
				c.addf(a.key("default_profile"), "unknown profile %q", e.DefaultProfile)
			case !servedIn(p, env):
				c.addf(a.key("default_profile"), "profile %q is not available in %s (see its environments)", e.DefaultProfile, env)
			}
		}
		if e.CORS != nil {
			checkCORS(c, a.key("cors"), e.CORS)
		}
	}
	return c.problems()
}

// servedIn reports whether the profile is compiled for env.
func servedIn(p ProfileSpec, env string) bool {
	return len(p.Environments) == 0 || slices.Contains(p.Environments, env)
}

// enumerated header values, lower case; matching is case-insensitive.
var (
	frameOptions   = []string{"DENY", "SAMEORIGIN"}
	referrerPolicy = []string{"no-referrer", "no-referrer-when-downgrade", "origin",
		"origin-when-cross-origin", "same-origin", "strict-origin",
		"strict-origin-when-cross-origin", "unsafe-url"}
	coop = []string{"unsafe-none", "same-origin-allow-popups", "same-origin", "noopener-allow-popups"}
	coep = []string{"unsafe-none", "require-corp", "credentialless"}
	corp = []string{"same-site", "same-origin", "cross-origin"}
)

// modeFields are the keys of modes: one per header a profile may set.
var modeFields = []string{"content_security_policy", "strict_transport_security",
	"frame_options", "content_type_options", "referrer_policy", "permissions_policy",
	"cross_origin_opener_policy", "cross_origin_embedder_policy",
	"cross_origin_resource_policy", "cache_control"}

func checkProfile(c *collector, a at, name string, p ProfileSpec, environments []string) {
	if !validName(name) {
		c.addf(a, "profile name %q: want letters, digits, '_', '-'", name)
	}
	for i, env := range p.Environments {
		if !slices.Contains(environments, env) {
			c.addf(a.key("environments").index(i), "unknown environment %q: want %s", env, strings.Join(environments, ", "))
		}
	}
	production := servedIn(p, Production)
	if p.ContentSecurityPolicy != nil {
		checkCSP(c, a.key("content_security_policy"), p.ContentSecurityPolicy, production, p.AllowUnsafe)
	}
	if h := p.StrictTransportSecurity; h != nil {
		ha := a.key("strict_transport_security", "max_age")
		switch {
		case h.MaxAge < 0 || h.MaxAge > maxHSTSAge:
			c.addf(ha, "%d is out of range: want 0 to %d seconds (two years)", h.MaxAge, maxHSTSAge)
		case h.Preload && h.MaxAge < minPreloadHSTS:
			c.addf(ha, "%d is too short for preload: the preload list requires at least %d seconds (one year)", h.MaxAge, minPreloadHSTS)
		}
		if h.Preload && !h.IncludeSubdomains {
			c.addf(a.key("strict_transport_security", "include_subdomains"), "preload requires include_subdomains: true")
		}
	}
	checkEnum(c, a.key("frame_options"), p.FrameOptions, frameOptions)
	if msg := checkValue(p.ReferrerPolicy); msg != "" {
		c.addf(a.key("referrer_policy"), "%s", msg)
	} else if p.ReferrerPolicy != "" {
		// A fallback list ("no-referrer, strict-origin-when-cross-origin")
		// is valid: browsers use the last token they understand.
		for _, tok := range strings.Split(p.ReferrerPolicy, ",") {
			checkEnum(c, a.key("referrer_policy"), strings.TrimSpace(tok), referrerPolicy)
		}
	}
	checkEnum(c, a.key("cross_origin_opener_policy"), p.CrossOriginOpenerPolicy, coop)
	checkEnum(c, a.key("cross_origin_embedder_policy"), p.CrossOriginEmbedderPolicy, coep)
	checkEnum(c, a.key("cross_origin_resource_policy"), p.CrossOriginResourcePolicy, corp)
	for _, f := range sortedKeys(p.PermissionsPolicy) {
		fa := a.key("permissions_policy", f)
		if !validFeature(f) {
			c.addf(fa, "feature %q: want lower-case letters, digits and '-'", f)
			continue
		}
		for i, o := range p.PermissionsPolicy[f] {
			if o == "self" || o == "*" || o == "src" {
				continue
			}
			if msg := checkValue(o); msg != "" {
				c.addf(fa.index(i), "%s", msg)
			} else if _, err := parseOrigin(o); err != "" {
				c.addf(fa.index(i), "%q: want self, src, * or an origin (%s)", o, err)
			}
		}
	}
	for i, h := range p.Remove {
		if !validHeaderName(h) {
			c.addf(a.key("remove").index(i), "%q is not a header name", h)
		}
	}
	for _, f := range sortedKeys(p.Modes) {
		ma := a.key("modes", f)
		m := p.Modes[f]
		switch {
		case !slices.Contains(modeFields, f):
			c.addf(ma, "unknown header field %q: want one of %s", f, strings.Join(modeFields, ", "))
		case m != ModeOverwrite && m != ModeAddIfAbsent:
			c.addf(ma, "unknown mode %q: want %s or %s", m, ModeOverwrite, ModeAddIfAbsent)
		case !p.sets(f):
			c.addf(ma, "the profile does not set %s", f)
		}
	}
}

// sets reports whether the profile emits the header of a modes key.
func (p ProfileSpec) sets(field string) bool {
	switch field {
	case "content_security_policy":
		return p.ContentSecurityPolicy != nil
	case "strict_transport_security":
		return p.StrictTransportSecurity != nil
	case "frame_options":
		return p.FrameOptions != ""
	case "content_type_options":
		return p.ContentTypeOptions
	case "referrer_policy":
		return p.ReferrerPolicy != ""
	case "permissions_policy":
		return len(p.PermissionsPolicy) > 0
	case "cross_origin_opener_policy":
		return p.CrossOriginOpenerPolicy != ""
	case "cross_origin_embedder_policy":
		return p.CrossOriginEmbedderPolicy != ""
	case "cross_origin_resource_policy":
		return p.CrossOriginResourcePolicy != ""
	case "cache_control":
		return p.CacheControlNoStoreWhenAuthenticated
	}
	return false
}

// checkEnum validates an optional enumerated value; control characters
// are reported as such rather than as an unknown value.
func checkEnum(c *collector, a at, v string, allowed []string) {
	if v == "" {
		return
	}
	if msg := checkValue(v); msg != "" {
		c.addf(a, "%s", msg)
		return
	}
	for _, x := range allowed {
		if strings.EqualFold(v, x) {
			return
		}
	}
	c.addf(a, "unknown value %q: want one of %s", v, strings.Join(allowed, ", "))
}

// checkValue rejects what a header value must never contain: CR or LF
// would split the header (Envoy rejects such a response, or worse), and
// other control characters are invalid in field values.
func checkValue(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	if strings.ContainsAny(s, "\r\n") {
		return strconv.Quote(s) + " must not contain CR or LF"
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s) + " must not contain control characters"
	}
	return ""
}

func validName(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r == '_' || r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
}

func validFeature(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r == '-' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
}

// validHeaderName accepts an RFC 9110 token in lower case, as Envoy
// stores header names.
func validHeaderName(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
	})
}
