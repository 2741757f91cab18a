package headers

import (
	"slices"
	"strconv"
	"strings"
)

// maxCORSAge caps max_age: Firefox ignores anything longer than a day
// (Chromium caps at two hours), so a longer value only misleads.
const maxCORSAge = 86400

// origin is a parsed origin or origin pattern. For a suffix pattern
// (https://*.example.com) host holds ".example.com".
type origin struct {
	scheme, host, port string
	suffix             bool
}

// parseOrigin parses scheme://host[:port]; pattern allows a leading
// "*." label. Scheme and host are lower-cased, a default port dropped.
func parseOrigin(s string) (origin, string) {
	return parseOriginPattern(s, false)
}

func parseOriginPattern(s string, pattern bool) (origin, string) {
	var o origin
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" || rest == "" {
		return o, "want scheme://host[:port]"
	}
	if strings.ContainsAny(rest, "/?#@ ") {
		return o, "an origin has no path, query, user or trailing '/'"
	}
	o.scheme = strings.ToLower(scheme)
	host := rest
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		host, o.port = rest[:i], rest[i+1:]
		if _, err := strconv.ParseUint(o.port, 10, 16); err != nil {
			return o, "bad port " + strconv.Quote(o.port)
		}
	}
	if (o.scheme == "https" && o.port == "443") || (o.scheme == "http" && o.port == "80") {
		o.port = ""
	}
	o.host = strings.ToLower(host)
	if pattern && strings.HasPrefix(o.host, "*.") {
		o.suffix, o.host = true, o.host[1:]
		if strings.Count(o.host, ".") < 2 {
			return o, "a suffix pattern needs at least two labels after \"*.\" (https://*.example.com)"
		}
	}
	if o.host == "" || strings.Contains(o.host, "*") {
		return o, "'*' is allowed only as the first label (https://*.example.com)"
	}
	if strings.ContainsFunc(o.host, func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || strings.ContainsRune(".-_[]:", r))
	}) {
		return o, "invalid host " + strconv.Quote(o.host)
	}
	return o, ""
}

// matches reports whether the request origin r fits the configured o.
// The suffix keeps its leading dot, so *.example.com matches neither
// example.com nor evil-example.com.
func (o origin) matches(r origin) bool {
	if o.scheme != r.scheme || o.port != r.port {
		return false
	}
	if o.suffix {
		return len(r.host) > len(o.host) && strings.HasSuffix(r.host, o.host)
	}
	return o.host == r.host
}

func checkCORS(c *collector, a at, s *CORSSpec) {
	if len(s.AllowOrigins) == 0 {
		c.addf(a.key("allow_origins"), "want at least one origin")
	}
	for i, o := range s.AllowOrigins {
		oa := a.key("allow_origins").index(i)
		if msg := checkValue(o); msg != "" {
			c.addf(oa, "%s", msg)
			continue
		}
		switch o {
		case "*":
			if s.AllowCredentials {
				c.addf(oa, "origin \"*\" with allow_credentials: browsers refuse credentials for a wildcard origin; list the origins")
			}
			continue
		case "null":
			continue
		}
		if _, err := parseOriginPattern(o, true); err != "" {
			c.addf(oa, "origin %q: %s", o, err)
		}
	}
	for i, m := range s.AllowMethods {
		if !validMethod(m) {
			c.addf(a.key("allow_methods").index(i), "%q is not an HTTP method", m)
		}
	}
	checkHeaderList(c, a.key("allow_headers"), s.AllowHeaders, s.AllowCredentials)
	checkHeaderList(c, a.key("expose_headers"), s.ExposeHeaders, s.AllowCredentials)
	if s.MaxAge < 0 || s.MaxAge > maxCORSAge {
		c.addf(a.key("max_age"), "%d is out of range: want 0 to %d seconds", s.MaxAge, maxCORSAge)
	}
}

func checkHeaderList(c *collector, a at, hs []string, credentials bool) {
	for i, h := range hs {
		switch {
		case h == "*" && credentials:
			c.addf(a.index(i), "\"*\" with allow_credentials means a header literally named \"*\"; list the headers")
		case h != "*" && !validHeaderName(strings.ToLower(h)):
			c.addf(a.index(i), "%q is not a header name", h)
		}
	}
}

func validMethod(m string) bool {
	return m != "" && !strings.ContainsFunc(m, func(r rune) bool { return !('A' <= r && r <= 'Z') })
}

// CORS answers cross-origin requests for one environment. A nil *CORS
// (no cors configured) matches nothing. Its methods are safe for
// concurrent use.
type CORS struct {
	origins      []origin
	anyOrigin    bool
	nullOrigin   bool
	credentials  bool
	methods      []string
	headers      []string // lower case
	anyHeader    bool
	allowMethods string
	expose       string
	maxAge       string

	vary     [][2]string // unmatched actual request
	wildcard [][2]string // actual request under "*" without credentials
}

// defaultMethods are the CORS-safelisted methods, allowed when
// allow_methods is empty.
var defaultMethods = []string{"GET", "HEAD", "POST"}

func compileCORS(s *CORSSpec) *CORS {
	c := &CORS{credentials: s.AllowCredentials, methods: s.AllowMethods}
	for _, o := range s.AllowOrigins {
		switch o {
		case "*":
			c.anyOrigin = true
		case "null":
			c.nullOrigin = true
		default:
			p, _ := parseOriginPattern(o, true)
			c.origins = append(c.origins, p)
		}
	}
	if len(c.methods) == 0 {
		c.methods = defaultMethods
	}
	c.allowMethods = strings.Join(c.methods, ", ")
	for _, h := range s.AllowHeaders {
		if h == "*" {
			c.anyHeader = true
			continue
		}
		c.headers = append(c.headers, strings.ToLower(h))
	}
	c.expose = strings.ToLower(strings.Join(s.ExposeHeaders, ", "))
	if s.MaxAge > 0 {
		c.maxAge = strconv.FormatInt(s.MaxAge, 10)
	}
	c.vary = [][2]string{{"vary", "origin"}}
	c.wildcard = slices.Clip(c.actual("*"))
	return c
}

// allowed reports whether the request's Origin header is allowed. "null"
// (sandboxed documents, file: URLs, some redirects) only when listed
// literally: any page can produce it, "*" does not cover it.
func (c *CORS) allowed(reqOrigin string) bool {
	if reqOrigin == "" {
		return false
	}
	if reqOrigin == "null" {
		return c.nullOrigin
	}
	if c.anyOrigin {
		return true
	}
	r, err := parseOrigin(reqOrigin)
	if err != "" {
		return false
	}
	for _, o := range c.origins {
		if o.matches(r) {
			return true
		}
	}
	return false
}

// allowOrigin is the access-control-allow-origin value: "*" only for a
// wildcard without credentials, else the request's origin echoed.
func (c *CORS) allowOrigin(reqOrigin string) string {
	if c.anyOrigin && !c.credentials && reqOrigin != "null" {
		return "*"
	}
	return reqOrigin
}

func (c *CORS) actual(allowOrigin string) [][2]string {
	hs := make([][2]string, 0, 4)
	hs = append(hs, [2]string{"access-control-allow-origin", allowOrigin})
	if c.credentials {
		hs = append(hs, [2]string{"access-control-allow-credentials", "true"})
	}
	if c.expose != "" {
		hs = append(hs, [2]string{"access-control-expose-headers", c.expose})
	}
	return append(hs, [2]string{"vary", "origin"})
}

// Actual returns the CORS headers for the response to an actual
// (non-preflight) request with this Origin header. It always includes
// "vary: origin" when CORS is configured, matched or not, so that a
// cache never serves one origin's answer to another; the caller must
// append vary (APPEND_IF_EXISTS_OR_ADD), not overwrite the upstream's.
// The result must not be modified.
func (c *CORS) Actual(reqOrigin string) [][2]string {
	if c == nil {
		return nil
	}
	if !c.allowed(reqOrigin) {
		return c.vary
	}
	if o := c.allowOrigin(reqOrigin); o == "*" {
		return c.wildcard
	}
	return c.actual(reqOrigin)
}

// Preflight answers a preflight: an OPTIONS request carrying Origin and
// Access-Control-Request-Method (method) and optionally
// Access-Control-Request-Headers (requestHeaders, comma-separated). ok is
// false when the origin, method or any requested header is not allowed;
// headers is then nil. See the package comment for how the server
// answers.
func (c *CORS) Preflight(reqOrigin, method, requestHeaders string) (headers [][2]string, ok bool) {
	if c == nil || method == "" || !c.allowed(reqOrigin) {
		return nil, false
	}
	if !slices.Contains(c.methods, method) {
		return nil, false
	}
	var reqHeaders []string
	for h := range strings.SplitSeq(requestHeaders, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if !c.anyHeader && !slices.Contains(c.headers, h) {
			return nil, false
		}
		reqHeaders = append(reqHeaders, h)
	}
	hs := make([][2]string, 0, 7)
	hs = append(hs, [2]string{"access-control-allow-origin", c.allowOrigin(reqOrigin)})
	if c.credentials {
		hs = append(hs, [2]string{"access-control-allow-credentials", "true"})
	}
	hs = append(hs, [2]string{"access-control-allow-methods", c.allowMethods})
	if len(reqHeaders) > 0 {
		hs = append(hs, [2]string{"access-control-allow-headers", strings.Join(reqHeaders, ", ")})
	}
	if c.maxAge != "" {
		hs = append(hs, [2]string{"access-control-max-age", c.maxAge})
	}
	hs = append(hs, [2]string{"vary", "origin, access-control-request-method, access-control-request-headers"})
	return hs, true
}
