package limits

import (
	"net/netip"
	"slices"
	"strings"
)

// MetadataNamespace is where Envoy stores the dynamic metadata this server
// returns (fixed by the ext_authz filter; pkg/authz.MetadataNamespace).
const MetadataNamespace = "envoy.filters.http.ext_authz"

// metadataKeys are the dynamic metadata keys pkg/authz sets (all strings)
// that a rule may read. request_id is left out on purpose: it is unique
// per request, so it would give every request a counter of its own and
// never limit anything. A test keeps this list in step with pkg/authz.
var metadataKeys = []string{"subject", "roles", "tenant", "issuer", "principal", "auth", "route"}

// authValues are the values pkg/authz puts under the "auth" key.
var authValues = []string{"jwt", "mtls", "none"}

// units are the rate-limit units a rule may use (envoyproxy/ratelimit's
// names, lower-case).
var units = []string{"second", "minute", "hour", "day"}

// credentialHeaders must not feed a descriptor: envoyproxy/ratelimit puts
// descriptor values into its cache keys and may log them.
var credentialHeaders = []string{"authorization", "proxy-authorization", "cookie"}

// maxEntries bounds a rule's descriptor. Envoy and the service allow
// more, but deeper nesting is never needed and makes the service
// configuration grow quickly (see Plan).
const maxEntries = 8

// maxRules bounds the rules: the checks across rules compare every pair.
const maxRules = 1000

func checkGlobal(c *collector, a at, g *Global, refs Refs) {
	if checkGlobalFields(c, a, g, refs) {
		plan(c, g)
	}
}

// checkGlobalFields checks each field and rule on its own and reports
// whether all of them are well-formed.
func checkGlobalFields(c *collector, a at, g *Global, refs Refs) bool {
	before := len(c.list) + c.dropped
	if g.Domain == "" {
		c.addf(a.key("domain"), "required: the domain of Envoy's ratelimit filter, e.g. domain: edge")
	} else if err := checkName(g.Domain); err != nil {
		c.addf(a.key("domain"), "invalid domain: %v", err)
	}
	switch n := len(g.Rules); {
	case n == 0:
		c.addf(a.key("rules"), "want at least one rule")
		return false
	case n > maxRules:
		c.addf(a.key("rules"), "%d rules: at most %d are supported", n, maxRules)
		return false
	}
	names := map[string]int{}
	for i, r := range g.Rules {
		if first, dup := names[r.Name]; dup && r.Name != "" {
			c.addf(a.key("rules").index(i).key("name"), "duplicate rule name %q (first at rules[%d])", r.Name, first)
		} else {
			names[r.Name] = i
		}
	}
	for i, r := range g.Rules {
		checkRule(c, a.key("rules").index(i).named(r.Name), i, r, names, refs)
	}
	return len(c.list)+c.dropped == before
}

func checkRule(c *collector, a at, i int, r Rule, names map[string]int, refs Refs) {
	if r.Name == "" {
		c.addf(a, "want a name")
	} else if err := checkName(r.Name); err != nil {
		c.addf(a.key("name"), "invalid rule name: %v", err)
	}

	switch n := len(r.Descriptor); {
	case n == 0:
		c.addf(a, "want a descriptor with at least one entry")
	case n > maxEntries:
		c.addf(a.key("descriptor"), "%d entries: at most %d are supported", n, maxEntries)
	}
	for j, e := range r.Descriptor {
		checkEntry(c, a.key("descriptor").index(j), e, refs)
	}

	switch {
	case r.Limit != nil && r.Unlimited:
		c.addf(a, "want only one of limit or unlimited: true, not both")
	case r.Limit == nil && !r.Unlimited:
		c.addf(a, "want one of limit or unlimited: true")
	case r.Limit != nil:
		checkRuleLimit(c, a.key("limit"), *r.Limit)
	}
	if r.ShadowMode && r.Unlimited {
		c.addf(a.key("shadow_mode"), "has no effect on an unlimited rule")
	}

	for j, name := range r.Replaces {
		ja := a.key("replaces").index(j)
		switch k, ok := names[name]; {
		case !ok:
			c.addf(ja, "unknown rule %q", name)
		case k == i:
			c.addf(ja, "a rule cannot replace itself")
		case slices.Contains(r.Replaces[:j], name):
			c.addf(ja, "duplicate rule %q", name)
		}
	}
}

func checkRuleLimit(c *collector, a at, l RuleLimit) {
	// envoyproxy/ratelimit reads requests_per_unit as a uint32, where 0
	// means "always over the limit"; that is not a rate.
	if l.Requests <= 0 || l.Requests > 1<<32-1 {
		c.addf(a.key("requests"), "want a number of requests from 1 to %d, got %d", uint32(1<<32-1), l.Requests)
	}
	if l.Unit == "" {
		c.addf(a.key("unit"), "required: one of %s", strings.Join(units, ", "))
	} else if !slices.Contains(units, l.Unit) {
		c.addf(a.key("unit"), "unknown unit %q (want %s)", l.Unit, strings.Join(units, ", "))
	}
}

func checkEntry(c *collector, a at, e Entry, refs Refs) {
	switch ks := e.kinds(); len(ks) {
	case 0:
		c.addf(a, "want one of remote_address: true, header, metadata, generic_key, route or path_prefix")
		return
	case 1:
	default:
		c.addf(a, "want only one of remote_address, header, metadata, generic_key, route or path_prefix, got %s", strings.Join(ks, " and "))
		return
	}
	value := func() {
		if e.Value == "" {
			return
		}
		if err := checkValue(e.Value); err != nil {
			c.addf(a.key("value"), "invalid value: %v", err)
		}
	}
	noValue := func(kind string) {
		if e.Value != "" {
			c.addf(a.key("value"), "not allowed with %s, whose value is fixed", kind)
		}
	}
	descriptorKey := func(ka at, key string) {
		if key == "" {
			return
		}
		if err := checkDescriptorKey(key); err != nil {
			c.addf(ka, "invalid descriptor key: %v", err)
		}
	}

	switch {
	case e.RemoteAddress:
		if e.Value == "" {
			break
		}
		// Envoy sends the address in its canonical text form; any other
		// spelling would never match.
		switch ip, err := netip.ParseAddr(e.Value); {
		case err != nil || ip.Zone() != "":
			c.addf(a.key("value"), "%q is not an IP address", e.Value)
		case ip.String() != e.Value:
			c.addf(a.key("value"), "write %q as %q, the form Envoy sends", e.Value, ip.String())
		}
	case e.Header != nil:
		checkHeaderName(c, a.key("header", "name"), e.Header.Name)
		descriptorKey(a.key("header", "descriptor_key"), e.Header.DescriptorKey)
		value()
	case e.Metadata != nil:
		m := e.Metadata
		switch {
		case m.Key == "":
			c.addf(a.key("metadata"), "want key: one of %s", strings.Join(metadataKeys, ", "))
		case m.Key == "request_id":
			c.addf(a.key("metadata", "key"), "request_id is unique per request: a counter per request never limits anything")
		case !slices.Contains(metadataKeys, m.Key):
			c.addf(a.key("metadata", "key"), "unknown metadata key %q (want %s)", m.Key, strings.Join(metadataKeys, ", "))
		}
		descriptorKey(a.key("metadata", "descriptor_key"), m.DescriptorKey)
		if m.Default != "" {
			if err := checkValue(m.Default); err != nil {
				c.addf(a.key("metadata", "default"), "invalid default: %v", err)
			}
		}
		value()
		switch {
		case e.Value == "":
		case m.Key == "auth" && !slices.Contains(authValues, e.Value) && e.Value != m.Default:
			c.addf(a.key("value"), "auth is never %q (want %s)", e.Value, strings.Join(authValues, ", "))
		case m.Key == "route" && refs.Route != nil && !refs.Route(e.Value) && e.Value != m.Default:
			c.addf(a.key("value"), "unknown route %q", e.Value)
		}
	case e.GenericKey != nil:
		descriptorKey(a.key("generic_key", "descriptor_key"), e.GenericKey.DescriptorKey)
		if e.GenericKey.Value == "" {
			c.addf(a.key("generic_key"), "want value")
		} else if err := checkValue(e.GenericKey.Value); err != nil {
			c.addf(a.key("generic_key", "value"), "invalid value: %v", err)
		}
		noValue("generic_key")
	case e.Route != "":
		if err := checkValue(e.Route); err != nil {
			c.addf(a.key("route"), "invalid route name: %v", err)
		} else if refs.Route != nil && !refs.Route(e.Route) {
			c.addf(a.key("route"), "unknown route %q", e.Route)
		}
		noValue("route")
	case e.PathPrefix != "":
		p := e.PathPrefix
		switch {
		case !strings.HasPrefix(p, "/"):
			c.addf(a.key("path_prefix"), "%q must start with \"/\"", p)
		case strings.ContainsAny(p, "?#"):
			c.addf(a.key("path_prefix"), "%q must be a path, without query or fragment", p)
		default:
			if err := checkValue(p); err != nil {
				c.addf(a.key("path_prefix"), "invalid path prefix: %v", err)
			}
		}
		noValue("path_prefix")
	}
}

// checkHeaderName accepts lower-case header names (Envoy's header maps
// are lower-case) and pseudo-headers such as ":authority"; limiting the
// characters keeps the name usable as the default descriptor key.
func checkHeaderName(c *collector, a at, name string) {
	bare := strings.TrimPrefix(name, ":")
	switch {
	case name == "":
		c.addf(a, "required")
	case bare == "" || strings.ContainsFunc(bare, func(r rune) bool {
		return !(r == '-' || r == '_' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9')
	}):
		c.addf(a, "invalid header name %q (want lower-case letters, digits, '-', '_')", name)
	case slices.Contains(credentialHeaders, name):
		c.addf(a, "%s carries credentials, which would end up in the rate-limit service's cache keys; use metadata subject or principal instead", name)
	}
}
