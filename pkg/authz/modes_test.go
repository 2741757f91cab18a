package authz_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/martyedge/security/internal/envoytest"
	"github.com/martyedge/security/pkg/authz"
)

// TestShadowMode checks that a dry run allows what it would deny, logs the
// would-be decision, and still never passes an unverified identity.
func TestShadowMode(t *testing.T) {
	k := newKeys(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	global := newFixture(t, k, withShadow(), withOptions(func(o *authz.Options) { o.Logger = logger }))
	normal := newFixture(t, k)
	viewer := envoytest.Bearer(k.sign(t, claims("alice", "viewer")))

	tests := []struct {
		name    string
		f       *fixture
		path    string
		opts    []envoytest.Option
		allowed bool
		userID  string
	}{
		{"global: insufficient permission allowed with identity", global, "/deploy", []envoytest.Option{viewer}, true, "alice"},
		{"global: missing token allowed anonymously", global, "/deploy", nil, true, ""},
		{"global: bad token allowed anonymously", global, "/deploy", []envoytest.Option{envoytest.Bearer("a.b.c"), envoytest.Header("x-user-id", "admin")}, true, ""},
		{"policy route in shadow", normal, "/api/reports/q3", []envoytest.Option{viewer}, true, "alice"},
		{"envoy route in shadow", normal, "/deploy", []envoytest.Option{viewer, envoytest.Extensions(map[string]string{"shadow": "true"})}, true, "alice"},
		{"envoy route shadow=false keeps enforcing", normal, "/deploy", []envoytest.Option{viewer, envoytest.Extensions(map[string]string{"shadow": "false"})}, false, ""},
		{"not in shadow", normal, "/deploy", []envoytest.Option{viewer}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := summarize(t, tc.f.check(t, envoytest.Request("POST", tc.path, tc.opts...)))
			if r.allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v (status %d)", r.allowed, tc.allowed, r.status)
			}
			if tc.allowed && r.headers["x-user-id"] != tc.userID {
				t.Errorf("x-user-id = %q, want %q", r.headers["x-user-id"], tc.userID)
			}
		})
	}
	if !strings.Contains(logs.String(), `"shadow":true`) || !strings.Contains(logs.String(), `"reason":"insufficient_permission"`) {
		t.Errorf("shadow decisions not logged with the would-be reason:\n%s", logs.String())
	}
}

// TestTokenSources covers the optional token header and cookie, and
// Envoy's encode_raw_headers mode where duplicates arrive as separate
// entries.
func TestTokenSources(t *testing.T) {
	k := newKeys(t)
	f := newFixture(t, k, withOptions(func(o *authz.Options) {
		o.TokenHeader = "X-Api-Token"
		o.TokenCookie = "session"
	}))
	tok := k.sign(t, claims("alice", "viewer"))
	tests := []struct {
		name   string
		opts   []envoytest.Option
		status int
	}{
		{"token header", []envoytest.Option{envoytest.Header("x-api-token", tok)}, 200},
		{"cookie", []envoytest.Option{envoytest.Header("cookie", "theme=dark; session="+tok)}, 200},
		{"other cookies only", []envoytest.Option{envoytest.Header("cookie", "theme=dark")}, 401},
		{"authorization wins over cookie", []envoytest.Option{envoytest.Bearer("bad.token.here"), envoytest.Header("cookie", "session="+tok)}, 401},
		{"raw headers", []envoytest.Option{envoytest.Bearer(tok), envoytest.RawHeaders()}, 200},
		{"raw headers with two authorization lines", []envoytest.Option{envoytest.Bearer(tok), envoytest.Bearer(tok), envoytest.RawHeaders()}, 400},
		{"two token headers", []envoytest.Option{envoytest.Header("x-api-token", tok), envoytest.Header("x-api-token", tok)}, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := summarize(t, f.check(t, envoytest.Request("GET", "/api/orders", tc.opts...)))
			switch {
			case tc.status == http.StatusOK && !r.allowed:
				t.Fatalf("denied %d %v", r.status, r.body)
			case tc.status != http.StatusOK && (r.allowed || r.status != tc.status):
				t.Fatalf("allowed=%v status=%d, want %d", r.allowed, r.status, tc.status)
			}
		})
	}
}
