package headers

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// Set is a headers section compiled for one environment. It is
// immutable and safe for concurrent use.
type Set struct {
	environment string
	profiles    map[string]*Profile
	def         *Profile
	cors        *CORS
}

// Profile is one compiled profile: every header list it can return is
// built once, at compile time, and shared by all requests.
type Profile struct {
	name string
	// allow is indexed by variant(https, authenticated).
	allow [4][]*corev3.HeaderValueOption
	// deny is indexed by https.
	deny   [2][][2]string
	remove []string
}

// empty is the default profile of an environment that names none.
var empty = &Profile{}

// Compile validates spec and compiles it for environment. A nil spec
// compiles to a Set with no profiles and no CORS.
func Compile(spec *Spec, environment string) (*Set, error) {
	if !slices.Contains(DefaultEnvironments, environment) {
		return nil, fmt.Errorf("compile headers: unknown environment %q", environment)
	}
	set := &Set{environment: environment, profiles: map[string]*Profile{}, def: empty}
	if spec == nil {
		return set, nil
	}
	if ps := spec.Validate(nil); len(ps) > 0 {
		return nil, fmt.Errorf("compile headers: %w", &Error{Problems: ps})
	}
	for _, name := range sortedKeys(spec.Profiles) {
		p := spec.Profiles[name]
		if servedIn(p, environment) {
			set.profiles[name] = compileProfile(name, p)
		}
	}
	if e, ok := spec.Environments[environment]; ok {
		if e.DefaultProfile != "" {
			set.def = set.profiles[e.DefaultProfile]
		}
		if e.CORS != nil {
			set.cors = compileCORS(e.CORS)
		}
	}
	return set, nil
}

// Environment returns the environment the set was compiled for.
func (s *Set) Environment() string { return s.environment }

// Profile returns the named profile, if it exists and is available in
// this environment.
func (s *Set) Profile(name string) (*Profile, bool) {
	p, ok := s.profiles[name]
	return p, ok
}

// Default returns the environment's default profile; never nil (a
// profile that sets nothing when the environment names none).
func (s *Set) Default() *Profile { return s.def }

// CORS returns the environment's CORS rules, or nil if it has none (the
// nil *CORS matches nothing).
func (s *Set) CORS() *CORS { return s.cors }

// Name returns the profile's name ("" for the empty default).
func (p *Profile) Name() string { return p.name }

// Remove returns the response headers the policy wants stripped. The
// server cannot strip them (see the package comment); this is for the
// route configuration. The result must not be modified.
func (p *Profile) Remove() []string { return p.remove }

func variant(https, authenticated bool) int {
	i := 0
	if https {
		i |= 1
	}
	if authenticated {
		i |= 2
	}
	return i
}

// AllowHeaders returns the response_headers_to_add for an allowed
// request. The slice and its messages are shared by every caller and
// must not be modified; its capacity equals its length, so appending to
// it copies. It does not allocate.
func (p *Profile) AllowHeaders(https, authenticated bool) []*corev3.HeaderValueOption {
	return p.allow[variant(https, authenticated)]
}

// DenyHeaders returns the headers to add to a denied response (no append
// semantics: Envoy replaces each key on its local reply). Shared and not
// to be modified, like [Profile.AllowHeaders]; it does not allocate.
func (p *Profile) DenyHeaders(https bool) [][2]string {
	if https {
		return p.deny[1]
	}
	return p.deny[0]
}

// when says which responses carry a header.
type when int

const (
	always when = iota
	httpsOnly
	authenticatedOnly
)

type entry struct {
	field, key, value string
	when              when
}

// entries lists the profile's headers in a fixed order.
func entries(p ProfileSpec) []entry {
	var es []entry
	add := func(field, key, value string, w when) { es = append(es, entry{field, key, value, w}) }
	if p.ContentSecurityPolicy != nil {
		k, v := renderCSP(p.ContentSecurityPolicy)
		add("content_security_policy", k, v, always)
	}
	if h := p.StrictTransportSecurity; h != nil {
		v := "max-age=" + strconv.FormatInt(h.MaxAge, 10)
		if h.IncludeSubdomains {
			v += "; includeSubDomains"
		}
		if h.Preload {
			v += "; preload"
		}
		// Browsers ignore HSTS over plain HTTP (RFC 6797 §8.1), and
		// sending it there would only advertise a policy an attacker
		// on the path can strip anyway.
		add("strict_transport_security", "strict-transport-security", v, httpsOnly)
	}
	if p.FrameOptions != "" {
		add("frame_options", "x-frame-options", strings.ToUpper(p.FrameOptions), always)
	}
	if p.ContentTypeOptions {
		add("content_type_options", "x-content-type-options", "nosniff", always)
	}
	if p.ReferrerPolicy != "" {
		add("referrer_policy", "referrer-policy", strings.ToLower(p.ReferrerPolicy), always)
	}
	if len(p.PermissionsPolicy) > 0 {
		add("permissions_policy", "permissions-policy", renderPermissions(p.PermissionsPolicy), always)
	}
	if v := p.CrossOriginOpenerPolicy; v != "" {
		add("cross_origin_opener_policy", "cross-origin-opener-policy", strings.ToLower(v), always)
	}
	if v := p.CrossOriginEmbedderPolicy; v != "" {
		add("cross_origin_embedder_policy", "cross-origin-embedder-policy", strings.ToLower(v), always)
	}
	if v := p.CrossOriginResourcePolicy; v != "" {
		add("cross_origin_resource_policy", "cross-origin-resource-policy", strings.ToLower(v), always)
	}
	if p.CacheControlNoStoreWhenAuthenticated {
		add("cache_control", "cache-control", "no-store", authenticatedOnly)
	}
	return es
}

// renderPermissions writes feature=(allowlist) items in feature order.
func renderPermissions(m map[string][]string) string {
	var b strings.Builder
	for _, f := range sortedKeys(m) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f)
		b.WriteByte('=')
		list := m[f]
		if len(list) == 1 && list[0] == "*" {
			b.WriteByte('*')
			continue
		}
		b.WriteByte('(')
		for i, o := range list {
			if i > 0 {
				b.WriteByte(' ')
			}
			if o == "self" || o == "src" || o == "*" {
				b.WriteString(o)
			} else {
				b.WriteString(strconv.Quote(o))
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

func compileProfile(name string, p ProfileSpec) *Profile {
	cp := &Profile{name: name, remove: slices.Clip(slices.Clone(p.Remove))}
	es := entries(p)
	opts := make([]*corev3.HeaderValueOption, len(es))
	for i, e := range es {
		action := corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD
		if p.Modes[e.field] == ModeAddIfAbsent {
			action = corev3.HeaderValueOption_ADD_IF_ABSENT
		}
		opts[i] = &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: e.key, Value: e.value},
			AppendAction: action,
		}
	}
	for v := range cp.allow {
		https, authenticated := v&1 != 0, v&2 != 0
		var list []*corev3.HeaderValueOption
		for i, e := range es {
			if (e.when == httpsOnly && !https) || (e.when == authenticatedOnly && !authenticated) {
				continue
			}
			list = append(list, opts[i])
		}
		cp.allow[v] = slices.Clip(list)
	}
	for v := range cp.deny {
		var list [][2]string
		for _, e := range es {
			if (e.when == httpsOnly && v == 0) || e.when == authenticatedOnly {
				continue
			}
			list = append(list, [2]string{e.key, e.value})
		}
		cp.deny[v] = slices.Clip(list)
	}
	return cp
}
