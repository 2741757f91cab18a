package headers

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "field: msg", in order
	}{
		{
			name: "valid",
			src: `
profiles:
  p: {frame_options: DENY, referrer_policy: "no-referrer, strict-origin-when-cross-origin"}
environments: {production: {default_profile: p}}
`,
		},
		{
			name: "unknown CSP directive",
			src:  `profiles: {p: {content_security_policy: {directives: {script-scr: ["'self'"]}}}}`,
			want: []string{`profiles.p.content_security_policy.directives.script-scr: unknown CSP directive "script-scr"`},
		},
		{
			name: "report-uri written as a directive",
			src:  `profiles: {p: {content_security_policy: {directives: {report-uri: [/r]}}}}`,
			want: []string{`profiles.p.content_security_policy.directives.report-uri: set report-uri with the report_uri field, not as a directive`},
		},
		{
			name: "unsafe sources in production",
			src: `
profiles:
  p:
    content_security_policy:
      directives: {script-src: ["'self'", "'unsafe-inline'", "'unsafe-eval'"], img-src: ["*", "data:"]}
`,
			want: []string{
				`profiles.p.content_security_policy.directives.img-src[0]: source * allows any host: not allowed in a profile served in production unless the profile sets allow_unsafe: true`,
				`profiles.p.content_security_policy.directives.img-src[1]: source data: allows data: URLs: not allowed in a profile served in production unless the profile sets allow_unsafe: true`,
				`profiles.p.content_security_policy.directives.script-src[1]: source 'unsafe-inline' allows inline scripts and styles: not allowed in a profile served in production unless the profile sets allow_unsafe: true`,
				`profiles.p.content_security_policy.directives.script-src[2]: source 'unsafe-eval' allows eval: not allowed in a profile served in production unless the profile sets allow_unsafe: true`,
			},
		},
		{
			name: "unsafe sources accepted with allow_unsafe or outside production",
			src: `
profiles:
  a: {allow_unsafe: true, content_security_policy: {directives: {script-src: ["'unsafe-inline'"]}}}
  b: {environments: [development, staging], content_security_policy: {directives: {script-src: ["'unsafe-eval'", "data:"]}}}
`,
		},
		{
			name: "unquoted keyword, unknown keyword, nonce, none with others, empty list, value on no-value directive",
			src: `
profiles:
  p:
    content_security_policy:
      directives:
        default-src: [self]
        script-src: ["'sefl'", "'nonce-abc'"]
        object-src: ["'none'", "'self'"]
        img-src: []
        upgrade-insecure-requests: [x]
`,
			want: []string{
				`profiles.p.content_security_policy.directives.default-src[0]: keyword self must be quoted: write "'self'" in YAML`,
				`profiles.p.content_security_policy.directives.img-src: empty source list: write ['none'] to allow nothing`,
				`profiles.p.content_security_policy.directives.object-src: 'none' must be the only source`,
				`profiles.p.content_security_policy.directives.script-src[0]: unknown CSP keyword 'sefl'`,
				`profiles.p.content_security_policy.directives.script-src[1]: a nonce in a static header is the same on every response, which defeats it; nonces must be generated per response`,
				`profiles.p.content_security_policy.directives.upgrade-insecure-requests: upgrade-insecure-requests takes no sources`,
			},
		},
		{
			name: "CR LF and control characters in header values",
			src: `
profiles:
  p:
    content_security_policy:
      directives: {default-src: ["'self'\r\nx-evil: 1"]}
      report_uri: "/r\u0000"
    referrer_policy: "no-referrer\n"
    permissions_policy: {camera: ["https://a.example.com\r"]}
`,
			want: []string{
				`profiles.p.content_security_policy.directives.default-src[0]: "'self'\r\nx-evil: 1" must not contain CR or LF`,
				`profiles.p.content_security_policy.report_uri: "/r\x00" must not contain control characters`,
				`profiles.p.referrer_policy: "no-referrer\n" must not contain CR or LF`,
				`profiles.p.permissions_policy.camera[0]: "https://a.example.com\r" must not contain CR or LF`,
			},
		},
		{
			name: "HSTS bounds and preload",
			src: `
profiles:
  a: {strict_transport_security: {max_age: -1}}
  b: {strict_transport_security: {max_age: 63072001}}
  c: {strict_transport_security: {max_age: 86400, preload: true}}
`,
			want: []string{
				`profiles.a.strict_transport_security.max_age: -1 is out of range: want 0 to 63072000 seconds (two years)`,
				`profiles.b.strict_transport_security.max_age: 63072001 is out of range: want 0 to 63072000 seconds (two years)`,
				`profiles.c.strict_transport_security.max_age: 86400 is too short for preload: the preload list requires at least 31536000 seconds (one year)`,
				`profiles.c.strict_transport_security.include_subdomains: preload requires include_subdomains: true`,
			},
		},
		{
			name: "enumerated values",
			src: `
profiles:
  p:
    frame_options: ALLOW-FROM https://a.example.com
    referrer_policy: "no-referrer, nope"
    cross_origin_opener_policy: same
    cross_origin_embedder_policy: corp
    cross_origin_resource_policy: any
`,
			want: []string{
				`profiles.p.frame_options: unknown value "ALLOW-FROM https://a.example.com": want one of DENY, SAMEORIGIN`,
				`profiles.p.referrer_policy: unknown value "nope": want one of no-referrer, no-referrer-when-downgrade, origin, origin-when-cross-origin, same-origin, strict-origin, strict-origin-when-cross-origin, unsafe-url`,
				`profiles.p.cross_origin_opener_policy: unknown value "same": want one of unsafe-none, same-origin-allow-popups, same-origin, noopener-allow-popups`,
				`profiles.p.cross_origin_embedder_policy: unknown value "corp": want one of unsafe-none, require-corp, credentialless`,
				`profiles.p.cross_origin_resource_policy: unknown value "any": want one of same-site, same-origin, cross-origin`,
			},
		},
		{
			name: "modes, remove, feature names, profile environments",
			src: `
profiles:
  p:
    environments: [prod]
    frame_options: DENY
    permissions_policy: {Camera: []}
    remove: ["x powered by"]
    modes: {frame_options: append, referrer_policy: add_if_absent, x_frame: overwrite}
`,
			want: []string{
				`profiles.p.environments[0]: unknown environment "prod": want development, staging, production`,
				`profiles.p.permissions_policy.Camera: feature "Camera": want lower-case letters, digits and '-'`,
				`profiles.p.remove[0]: "x powered by" is not a header name`,
				`profiles.p.modes.frame_options: unknown mode "append": want overwrite or add_if_absent`,
				`profiles.p.modes.referrer_policy: the profile does not set referrer_policy`,
				`profiles.p.modes.x_frame: unknown header field "x_frame": want one of content_security_policy, strict_transport_security, frame_options, content_type_options, referrer_policy, permissions_policy, cross_origin_opener_policy, cross_origin_embedder_policy, cross_origin_resource_policy, cache_control`,
			},
		},
		{
			name: "unknown profile references and environments",
			src: `
profiles:
  dev: {environments: [development], frame_options: DENY}
environments:
  production: {default_profile: dev}
  staging: {default_profile: missing}
  qa: {}
`,
			want: []string{
				`environments.production.default_profile: profile "dev" is not available in production (see its environments)`,
				`environments.qa: unknown environment "qa": want development, staging, production`,
				`environments.staging.default_profile: unknown profile "missing"`,
			},
		},
		{
			name: "CORS wildcard with credentials and bad origins",
			src: `
environments:
  production:
    cors:
      allow_origins: ["*", "https://app.example.com/", "app.example.com", "https://*.com", "https://a.*.example.com", "https://app.example.com:99999", "https://ok.example.com:8443", "null"]
      allow_methods: [get]
      allow_headers: ["*", "bad header"]
      allow_credentials: true
      max_age: 86401
`,
			want: []string{
				`environments.production.cors.allow_origins[0]: origin "*" with allow_credentials: browsers refuse credentials for a wildcard origin; list the origins`,
				`environments.production.cors.allow_origins[1]: origin "https://app.example.com/": an origin has no path, query, user or trailing '/'`,
				`environments.production.cors.allow_origins[2]: origin "app.example.com": want scheme://host[:port]`,
				`environments.production.cors.allow_origins[3]: origin "https://*.com": a suffix pattern needs at least two labels after "*." (https://*.example.com)`,
				`environments.production.cors.allow_origins[4]: origin "https://a.*.example.com": '*' is allowed only as the first label (https://*.example.com)`,
				`environments.production.cors.allow_origins[5]: origin "https://app.example.com:99999": bad port "99999"`,
				`environments.production.cors.allow_methods[0]: "get" is not an HTTP method`,
				`environments.production.cors.allow_headers[0]: "*" with allow_credentials means a header literally named "*"; list the headers`,
				`environments.production.cors.allow_headers[1]: "bad header" is not a header name`,
				`environments.production.cors.max_age: 86401 is out of range: want 0 to 86400 seconds`,
			},
		},
		{
			name: "CORS without origins",
			src:  `environments: {staging: {cors: {allow_methods: [GET]}}}`,
			want: []string{`environments.staging.cors.allow_origins: want at least one origin`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := decode(t, tt.src).Validate(nil)
			got := make([]string, len(ps))
			for i, p := range ps {
				got[i] = p.String()
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestValidateCustomEnvironments(t *testing.T) {
	s := decode(t, `environments: {production: {}}`)
	ps := s.Validate([]string{"dev"})
	if len(ps) != 1 || ps[0].Field != "environments.production" {
		t.Fatalf("problems = %v", ps)
	}
}
