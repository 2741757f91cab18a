package headers

import (
	"slices"
	"strings"
)

// directiveKind says what a CSP directive takes.
type directiveKind int

const (
	sourceList directiveKind = iota // 'self' https://cdn.example.com ...
	noValue                         // upgrade-insecure-requests
	tokens                          // sandbox, trusted-types, ...: free tokens
)

// directives are the CSP Level 3 directives the policy may set.
// report-uri and report-to have their own fields so that a report
// endpoint is never half-written into the directive map.
var directives = map[string]directiveKind{
	"default-src": sourceList, "script-src": sourceList, "script-src-elem": sourceList,
	"script-src-attr": sourceList, "style-src": sourceList, "style-src-elem": sourceList,
	"style-src-attr": sourceList, "img-src": sourceList, "font-src": sourceList,
	"connect-src": sourceList, "media-src": sourceList, "object-src": sourceList,
	"frame-src": sourceList, "child-src": sourceList, "worker-src": sourceList,
	"manifest-src": sourceList, "fenced-frame-src": sourceList, "base-uri": sourceList,
	"form-action": sourceList, "frame-ancestors": sourceList,
	"upgrade-insecure-requests": noValue, "block-all-mixed-content": noValue,
	"sandbox": tokens, "require-trusted-types-for": tokens, "trusted-types": tokens,
	"webrtc": tokens,
}

// keywords are the quoted source expressions CSP defines.
var keywords = []string{
	"'self'", "'none'", "'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'",
	"'strict-dynamic'", "'report-sample'", "'wasm-unsafe-eval'",
	"'inline-speculation-rules'",
}

// unsafeSource reports why a source weakens the policy enough to need
// allow_unsafe in production, or "".
func unsafeSource(s string) string {
	switch strings.ToLower(s) {
	case "'unsafe-inline'":
		return "allows inline scripts and styles"
	case "'unsafe-eval'":
		return "allows eval"
	case "*":
		return "allows any host"
	case "data:":
		return "allows data: URLs"
	}
	return ""
}

// checkCSP validates a content_security_policy; production says whether
// the profile can be served there.
func checkCSP(c *collector, a at, csp *CSPSpec, production, allowUnsafe bool) {
	if len(csp.Directives) == 0 {
		c.addf(a.key("directives"), "want at least one directive")
	}
	for _, name := range sortedKeys(csp.Directives) {
		srcs := csp.Directives[name]
		da := a.key("directives", name)
		kind, ok := directives[name]
		switch {
		case name == "report-uri" || name == "report-to":
			c.addf(da, "set %s with the report_%s field, not as a directive", name, name[len("report-"):])
			continue
		case !ok:
			c.addf(da, "unknown CSP directive %q", name)
			continue
		}
		switch kind {
		case noValue:
			if len(srcs) > 0 {
				c.addf(da, "%s takes no sources", name)
			}
			continue
		case sourceList:
			if len(srcs) == 0 {
				c.addf(da, "empty source list: write ['none'] to allow nothing")
				continue
			}
			if slices.Contains(srcs, "'none'") && len(srcs) > 1 {
				c.addf(da, "'none' must be the only source")
			}
		}
		for i, s := range srcs {
			sa := da.index(i)
			if err := checkToken(s); err != "" {
				c.addf(sa, "%s", err)
				continue
			}
			if kind != sourceList {
				continue
			}
			if msg := checkSource(s); msg != "" {
				c.addf(sa, "%s", msg)
				continue
			}
			if why := unsafeSource(s); why != "" && production && !allowUnsafe {
				c.addf(sa, "source %s %s: not allowed in a profile served in production unless the profile sets allow_unsafe: true", s, why)
			}
		}
	}
	if csp.ReportURI != "" {
		if msg := checkValue(csp.ReportURI); msg != "" {
			c.addf(a.key("report_uri"), "%s", msg)
		} else if strings.ContainsAny(csp.ReportURI, " ;,") {
			c.addf(a.key("report_uri"), "%q must be one URI without spaces, ';' or ','", csp.ReportURI)
		}
	}
	if csp.ReportTo != "" {
		if err := checkToken(csp.ReportTo); err != "" {
			c.addf(a.key("report_to"), "%s", err)
		}
	}
}

// checkToken rejects what would break the header's syntax.
func checkToken(s string) string {
	if msg := checkValue(s); msg != "" {
		return msg
	}
	if s == "" {
		return "must not be empty"
	}
	if strings.ContainsAny(s, " \t;,") {
		return "\"" + s + "\" must be a single token: no spaces, ';' or ','"
	}
	return ""
}

// checkSource validates one source expression beyond its syntax.
func checkSource(s string) string {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "'nonce-"):
		return "a nonce in a static header is the same on every response, which defeats it; nonces must be generated per response"
	case strings.HasPrefix(lower, "'sha256-"), strings.HasPrefix(lower, "'sha384-"), strings.HasPrefix(lower, "'sha512-"):
		if !strings.HasSuffix(s, "'") {
			return "hash source " + s + " is missing its closing quote"
		}
		return ""
	case strings.HasPrefix(s, "'"):
		if !slices.Contains(keywords, lower) {
			return "unknown CSP keyword " + s
		}
		return ""
	case slices.Contains(keywords, "'"+lower+"'"):
		return "keyword " + s + " must be quoted: write \"'" + lower + "'\" in YAML"
	}
	return ""
}

// renderCSP returns the header name and value; directives in name order
// so the value is stable.
func renderCSP(csp *CSPSpec) (name, value string) {
	var b strings.Builder
	for _, d := range sortedKeys(csp.Directives) {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(d)
		for _, s := range csp.Directives[d] {
			b.WriteByte(' ')
			b.WriteString(s)
		}
	}
	if csp.ReportURI != "" {
		b.WriteString("; report-uri ")
		b.WriteString(csp.ReportURI)
	}
	if csp.ReportTo != "" {
		b.WriteString("; report-to ")
		b.WriteString(csp.ReportTo)
	}
	name = "content-security-policy"
	if csp.ReportOnly {
		name += "-report-only"
	}
	return name, b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
