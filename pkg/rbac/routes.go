package rbac

import (
	"regexp"
	"slices"
	"strings"
)

// Route is the outcome of MatchRoute: what a matched route requires.
type Route struct {
	// Name identifies the route in logs and metrics.
	Name string
	// Permission is the concrete permission the request needs; empty when
	// Public is set.
	Permission string
	// Public routes need no identity at all.
	Public bool
	// Shadow routes are evaluated and reported but not enforced (dry run).
	Shadow bool
}

// matchKind says how a compiled route compares the request path.
type matchKind int

const (
	matchPath   matchKind = iota // whole path equal
	matchPrefix                  // segment-aware prefix
	matchRegex                   // anchored RE2
)

type compiledRoute struct {
	route   Route
	kind    matchKind
	pattern string         // for matchPath and matchPrefix
	re      *regexp.Regexp // for matchRegex
	methods []string       // empty: any method
}

// matches reports whether the route applies to the request.
func (r *compiledRoute) matches(method, path string) bool {
	if len(r.methods) > 0 && !slices.Contains(r.methods, method) {
		return false
	}
	switch r.kind {
	case matchPath:
		return path == r.pattern
	case matchPrefix:
		return prefixMatches(r.pattern, path)
	default:
		return r.re.MatchString(path)
	}
}

// prefixMatches implements segment-aware prefixes: "/api/orders" matches
// "/api/orders" and "/api/orders/1" but not "/api/ordersX"; a prefix ending
// in "/" is a plain prefix.
func prefixMatches(prefix, path string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || strings.HasSuffix(prefix, "/") || path[len(prefix)] == '/'
}

// buildRoutes validates and compiles the route table in one pass, since
// compiling a regex is how it is validated. The result is only meaningful
// if no problems were added.
func buildRoutes(p *problems, specs []routeSpec) []compiledRoute {
	routes := make([]compiledRoute, 0, len(specs))
	names := map[string]int{}
	for i, s := range specs {
		at := field("routes", i)
		r := compiledRoute{route: Route{Name: s.Name, Permission: s.Permission, Public: s.Public, Shadow: s.Shadow}}

		switch first, dup := names[s.Name]; {
		case s.Name == "":
			p.addf(at, "want a name")
		case dup:
			p.addf(field(at, "name"), "duplicate route name %q (first at %s)", s.Name, field("routes", first))
		default:
			names[s.Name] = i
			if err := checkName(s.Name); err != nil {
				p.addf(field(at, "name"), "invalid route name: %v", err)
			}
		}

		var matchers []string
		if s.Path != "" {
			matchers = append(matchers, "path")
			r.kind, r.pattern = matchPath, s.Path
			checkRoutePath(p, field(at, "path"), s.Path)
		}
		if s.Prefix != "" {
			matchers = append(matchers, "prefix")
			r.kind, r.pattern = matchPrefix, s.Prefix
			checkRoutePath(p, field(at, "prefix"), s.Prefix)
		}
		if s.Regex != "" {
			matchers = append(matchers, "regex")
			// Compile the regex as written first, so that an error quotes
			// the author's text rather than the anchored form.
			re, err := regexp.Compile(s.Regex)
			if err == nil {
				re, err = regexp.Compile(`^(?:` + s.Regex + `)$`)
			}
			if err != nil {
				p.addf(field(at, "regex"), "invalid regex: %w", err)
			}
			r.kind, r.re = matchRegex, re
		}
		switch len(matchers) {
		case 0:
			p.addf(at, "want one of path, prefix or regex")
		case 1:
		default:
			p.addf(at, "want only one of path, prefix or regex, got %s", strings.Join(matchers, " and "))
		}

		for j, m := range s.Methods {
			switch {
			case !knownMethod(strings.ToUpper(m)):
				p.addf(field(at, "methods", j), "unknown HTTP method %q", m)
			case m != strings.ToUpper(m):
				p.addf(field(at, "methods", j), "HTTP method %q must be upper-case", m)
			case slices.Contains(s.Methods[:j], m):
				p.addf(field(at, "methods", j), "duplicate HTTP method %q", m)
			}
		}
		r.methods = slices.Clip(s.Methods)

		switch {
		case s.Public && s.Permission != "":
			p.addf(at, "want only one of permission or public: true, not both")
		case !s.Public && s.Permission == "":
			p.addf(at, "want one of permission or public: true")
		case s.Permission != "":
			if err := ValidatePermission(s.Permission); err != nil {
				p.addf(field(at, "permission"), "%w", err)
			}
		}
		routes = append(routes, r)
	}
	return routes
}

func checkRoutePath(p *problems, at, path string) {
	if !strings.HasPrefix(path, "/") {
		p.addf(at, "%q must start with \"/\"", path)
	}
}

// knownMethod reports whether m is one of the HTTP methods of RFC 9110 or
// PATCH; anything else in a policy is far more likely a typo than intent.
func knownMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE":
		return true
	}
	return false
}

// MatchRoute returns the first route, in file order, whose matcher and
// methods accept the request; path must not include the query string.
// The returned Route belongs to the policy and must not be modified.
// Exact and prefix routes are matched without allocating.
func (p *Policy) MatchRoute(method, path string) (*Route, bool) {
	for i := range p.routes {
		if r := &p.routes[i]; r.matches(method, path) {
			return &r.route, true
		}
	}
	return nil, false
}
