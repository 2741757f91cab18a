package headers

import (
	"reflect"
	"testing"
)

const corsSrc = `
environments:
  production:
    cors:
      allow_origins: ["https://app.example.com", "https://*.example.com", "http://localhost:3000"]
      allow_methods: [GET, POST, DELETE]
      allow_headers: [Authorization, Content-Type]
      expose_headers: [X-Request-Id]
      allow_credentials: true
      max_age: 600
  staging:
    cors:
      allow_origins: ["*"]
      allow_headers: [content-type]
  development:
    cors:
      allow_origins: ["null", "http://localhost:5173"]
      allow_headers: ["*"]
`

func corsFor(t *testing.T, env string) *CORS {
	t.Helper()
	c := compile(t, decode(t, corsSrc), env).CORS()
	if c == nil {
		t.Fatalf("%s: no CORS", env)
	}
	return c
}

func TestActual(t *testing.T) {
	prod := corsFor(t, Production)
	matched := func(o string) [][2]string {
		return [][2]string{
			{"access-control-allow-origin", o},
			{"access-control-allow-credentials", "true"},
			{"access-control-expose-headers", "x-request-id"},
			{"vary", "origin"},
		}
	}
	varyOnly := [][2]string{{"vary", "origin"}}
	tests := []struct {
		name, env, origin string
		want              [][2]string
	}{
		{"exact", Production, "https://app.example.com", matched("https://app.example.com")},
		{"suffix one label", Production, "https://a.example.com", matched("https://a.example.com")},
		{"suffix two labels", Production, "https://a.b.example.com", matched("https://a.b.example.com")},
		{"bare domain is not a suffix match", Production, "https://example.com", varyOnly},
		{"look-alike domain", Production, "https://evil-example.com", varyOnly},
		{"suffix inside another domain", Production, "https://a.example.com.evil.net", varyOnly},
		{"scheme must match", Production, "http://app.example.com", varyOnly},
		{"port must match", Production, "https://app.example.com:8443", varyOnly},
		{"default port ignored", Production, "https://app.example.com:443", matched("https://app.example.com:443")},
		{"mixed case echoed as sent", Production, "HTTPS://App.Example.COM", matched("HTTPS://App.Example.COM")},
		{"localhost with port", Production, "http://localhost:3000", matched("http://localhost:3000")},
		{"null not listed", Production, "null", varyOnly},
		{"no origin", Production, "", varyOnly},
		{"garbage", Production, "https://app.example.com/path", varyOnly},
		{"wildcard", Staging, "https://anything.test", [][2]string{{"access-control-allow-origin", "*"}, {"vary", "origin"}}},
		{"wildcard does not cover null", Staging, "null", varyOnly},
		{"null listed literally", Development, "null", [][2]string{{"access-control-allow-origin", "null"}, {"vary", "origin"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := prod
			if tt.env != Production {
				c = corsFor(t, tt.env)
			}
			if got := c.Actual(tt.origin); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Actual(%q) = %q, want %q", tt.origin, got, tt.want)
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	const vary = "origin, access-control-request-method, access-control-request-headers"
	tests := []struct {
		name, env, origin, method, reqHeaders string
		want                                  [][2]string
		ok                                    bool
	}{
		{
			name: "allowed with credentials", env: Production,
			origin: "https://a.example.com", method: "POST", reqHeaders: "Content-Type, authorization",
			ok: true, want: [][2]string{
				{"access-control-allow-origin", "https://a.example.com"},
				{"access-control-allow-credentials", "true"},
				{"access-control-allow-methods", "GET, POST, DELETE"},
				{"access-control-allow-headers", "content-type, authorization"},
				{"access-control-max-age", "600"},
				{"vary", vary},
			},
		},
		{
			name: "without credentials, default methods", env: Staging,
			origin: "https://x.test", method: "GET",
			ok: true, want: [][2]string{
				{"access-control-allow-origin", "*"},
				{"access-control-allow-methods", "GET, HEAD, POST"},
				{"vary", vary},
			},
		},
		{
			name: "any header", env: Development,
			origin: "http://LOCALHOST:5173", method: "POST", reqHeaders: "x-anything",
			ok: true, want: [][2]string{
				{"access-control-allow-origin", "http://LOCALHOST:5173"},
				{"access-control-allow-methods", "GET, HEAD, POST"},
				{"access-control-allow-headers", "x-anything"},
				{"vary", vary},
			},
		},
		{name: "disallowed origin", env: Production, origin: "https://evil-example.com", method: "GET"},
		{name: "bare domain", env: Production, origin: "https://example.com", method: "GET"},
		{name: "disallowed method", env: Production, origin: "https://app.example.com", method: "PUT"},
		{name: "method is case-sensitive", env: Production, origin: "https://app.example.com", method: "post"},
		{name: "disallowed header", env: Production, origin: "https://app.example.com", method: "GET", reqHeaders: "authorization, x-debug"},
		{name: "no method is not a preflight", env: Production, origin: "https://app.example.com"},
		{name: "null origin not listed", env: Production, origin: "null", method: "GET"},
		{name: "null not covered by wildcard", env: Staging, origin: "null", method: "GET"},
		{
			name: "null listed", env: Development, origin: "null", method: "GET",
			ok: true, want: [][2]string{
				{"access-control-allow-origin", "null"},
				{"access-control-allow-methods", "GET, HEAD, POST"},
				{"vary", vary},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := corsFor(t, tt.env).Preflight(tt.origin, tt.method, tt.reqHeaders)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Preflight = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNilCORS(t *testing.T) {
	var c *CORS
	if c.Actual("https://a.example.com") != nil {
		t.Error("nil CORS answered an actual request")
	}
	if _, ok := c.Preflight("https://a.example.com", "GET", ""); ok {
		t.Error("nil CORS allowed a preflight")
	}
}
