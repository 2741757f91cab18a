package authz_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/codes"

	"github.com/martyedge/security/internal/envoytest"
)

// TestCheckTokens sends requests carrying good and bad tokens, shaped as
// Envoy sends them, and asserts the exact HTTP status, error code and
// challenge a client would see.
func TestCheckTokens(t *testing.T) {
	k := newKeys(t)
	f := newFixture(t, k)
	now := time.Now()

	expired := claims("alice", "viewer")
	expired["iat"], expired["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	notYet := claims("alice", "viewer")
	notYet["nbf"] = now.Add(time.Hour).Unix()
	wrongIss := claims("alice", "viewer")
	wrongIss["iss"] = "https://evil.test"
	wrongAud := claims("alice", "viewer")
	wrongAud["aud"] = "billing-api"
	noExp := claims("alice", "viewer")
	delete(noExp, "exp")
	valid := k.sign(t, claims("alice", "viewer"))
	header, payload, _ := strings.Cut(valid, ".")
	payload, sig, _ := strings.Cut(payload, ".")
	enc := base64.RawURLEncoding.EncodeToString

	tests := []struct {
		name      string
		auth      string // authorization header value; "" sends none
		status    int
		code      string // JSON body "error"
		challenge string // expected WWW-Authenticate error param, "" for none
		desc      string // substring of error_description
	}{
		{name: "valid ES256", auth: "Bearer " + valid, status: http.StatusOK},
		{name: "valid RS256", auth: "Bearer " + signWith(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", claims("alice", "viewer")), status: http.StatusOK},
		{name: "scheme is case-insensitive", auth: "bearer " + valid, status: http.StatusOK},
		{name: "missing token", status: 401, code: "invalid_request", desc: "authentication required"},
		{name: "expired", auth: "Bearer " + k.sign(t, expired), status: 401, code: "invalid_token", challenge: "invalid_token", desc: "expired"},
		{name: "not yet valid", auth: "Bearer " + k.sign(t, notYet), status: 401, code: "invalid_token", challenge: "invalid_token", desc: "not valid yet"},
		{name: "wrong issuer", auth: "Bearer " + k.sign(t, wrongIss), status: 401, code: "invalid_token", challenge: "invalid_token", desc: "issuer"},
		{name: "wrong audience", auth: "Bearer " + k.sign(t, wrongAud), status: 401, code: "invalid_token", challenge: "invalid_token", desc: "audience"},
		{name: "missing exp", auth: "Bearer " + k.sign(t, noExp), status: 401, code: "invalid_token", challenge: "invalid_token", desc: `"exp"`},
		{name: "alg none", auth: "Bearer " + signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "ec-1", claims("alice", "admin")),
			status: 401, code: "invalid_token", challenge: "invalid_token"},
		{name: "HS256 signed with the RSA public key (algorithm confusion)", auth: "Bearer " + signWith(t, jwt.SigningMethodHS256, k.rsaPEM, "rsa-1", claims("alice", "admin")),
			status: 401, code: "invalid_token", challenge: "invalid_token"},
		{name: "unknown kid", auth: "Bearer " + signWith(t, jwt.SigningMethodES256, k.ec, "nope", claims("alice", "viewer")), status: 401, code: "invalid_token", challenge: "invalid_token", desc: "key"},
		{name: "signed by another key", auth: "Bearer " + signWith(t, jwt.SigningMethodES256, mustEC(t), "ec-1", claims("alice", "viewer")), status: 401, code: "invalid_token", challenge: "invalid_token", desc: "signature"},
		{name: "oversized", auth: "Bearer " + strings.Repeat("a", 9000), status: 401, code: "invalid_token", challenge: "invalid_token", desc: "large"},
		{name: "malformed base64", auth: "Bearer " + header + ".%%%." + sig, status: 401, code: "invalid_token", challenge: "invalid_token", desc: "malformed"},
		{name: "malformed JSON", auth: "Bearer " + header + "." + enc([]byte(`{"sub":`)) + "." + sig, status: 401, code: "invalid_token", challenge: "invalid_token", desc: "malformed"},
		{name: "not a JWS", auth: "Bearer " + payload, status: 401, code: "invalid_token", challenge: "invalid_token", desc: "malformed"},
		{name: "empty bearer", auth: "Bearer ", status: 401, code: "invalid_token", challenge: "invalid_token"},
		{name: "wrong scheme", auth: "Basic YWxpY2U6c2VjcmV0", status: 401, code: "invalid_request", challenge: "invalid_request", desc: "Bearer"},
		{name: "token without scheme", auth: valid, status: 401, code: "invalid_request", challenge: "invalid_request"},
		{name: "two authorization headers (joined by Envoy)", auth: "Bearer " + valid + ",Bearer " + valid, status: 400, code: "invalid_request", challenge: "invalid_request", desc: "more than one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []envoytest.Option
			if tc.auth != "" {
				opts = append(opts, envoytest.Header("authorization", tc.auth))
			}
			r := summarize(t, f.check(t, envoytest.Request("GET", "/api/orders/42?expand=items", opts...)))
			if tc.status == http.StatusOK {
				if !r.allowed {
					t.Fatalf("denied %d %v, want allowed", r.status, r.body)
				}
				if r.headers["x-user-id"] != "alice" {
					t.Errorf("x-user-id = %q, want alice", r.headers["x-user-id"])
				}
				return
			}
			if r.allowed || r.status != tc.status {
				t.Fatalf("allowed=%v status=%d, want denied %d (body %v)", r.allowed, r.status, tc.status, r.body)
			}
			wantGRPC := codes.Unauthenticated
			if tc.status == 400 {
				wantGRPC = codes.InvalidArgument
			}
			if r.grpcCode != int32(wantGRPC) {
				t.Errorf("gRPC status %d, want %s", r.grpcCode, wantGRPC)
			}
			if r.body["error"] != tc.code {
				t.Errorf("error = %q, want %q", r.body["error"], tc.code)
			}
			if !strings.Contains(r.body["error_description"], tc.desc) {
				t.Errorf("error_description = %q, want it to mention %q", r.body["error_description"], tc.desc)
			}
			if r.body["request_id"] != "4f6c1a9e-2b7d-4c3e-9a51-0d8e6f2b7c10" {
				t.Errorf("request_id = %q, want Envoy's x-request-id", r.body["request_id"])
			}
			if r.headers["content-type"] != "application/json" {
				t.Errorf("content-type = %q", r.headers["content-type"])
			}
			if tc.status == 401 {
				want := `Bearer realm="orders"`
				if tc.challenge != "" {
					want += `, error="` + tc.challenge + `", error_description="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(r.body["error_description"]) + `"`
				}
				if got := r.headers["www-authenticate"]; got != want {
					t.Errorf("www-authenticate = %q, want %q", got, want)
				}
			}
			for _, secret := range []string{valid, sig, "alice"} {
				if strings.Contains(r.body["error_description"], secret) {
					t.Errorf("denial leaks token material: %v", r.body)
				}
			}
		})
	}
}

// TestCheckRBAC covers how the required permission is found and judged.
func TestCheckRBAC(t *testing.T) {
	k := newKeys(t)
	dev := newFixture(t, k)
	prod := newFixture(t, k, withEnvironment("production"))
	tok := func(roles ...string) envoytest.Option { return envoytest.Bearer(k.sign(t, claims("alice", roles...))) }
	ext := envoytest.Extensions
	const billing = "spiffe://cluster.local/ns/billing/sa/billing"

	tests := []struct {
		name   string
		f      *fixture
		method string
		path   string
		opts   []envoytest.Option
		status int // 200 for allow
		reason string
	}{
		{"own permission", dev, "GET", "/api/orders", []envoytest.Option{tok("viewer")}, 200, ""},
		{"inherited permission", dev, "GET", "/api/orders/7", []envoytest.Option{tok("developer")}, 200, ""},
		{"inherited twice", dev, "POST", "/api/orders", []envoytest.Option{tok("admin")}, 200, ""},
		{"missing permission", dev, "POST", "/api/orders", []envoytest.Option{tok("viewer")}, 403, "access_denied"},
		{"resource wildcard", dev, "POST", "/deploy", []envoytest.Option{tok("developer")}, 200, ""},
		{"global wildcard", dev, "GET", "/api/inventory/1", []envoytest.Option{tok("admin")}, 200, ""},
		{"environment override revokes", prod, "POST", "/deploy", []envoytest.Option{tok("developer")}, 403, "access_denied"},
		{"environment override keeps the rest", prod, "POST", "/api/orders", []envoytest.Option{tok("developer")}, 200, ""},
		{"unknown role grants nothing", dev, "GET", "/api/orders", []envoytest.Option{tok("superuser")}, 403, "access_denied"},
		{"no roles", dev, "GET", "/api/orders", []envoytest.Option{tok()}, 403, "access_denied"},
		{"deny by default: no route", dev, "GET", "/internal/secrets", []envoytest.Option{tok("admin")}, 403, "access_denied"},
		{"deny by default: method not in route", dev, "DELETE", "/api/orders/7", []envoytest.Option{tok("admin")}, 403, "access_denied"},
		{"unauthenticated on an unknown route is 401", dev, "GET", "/internal/secrets", nil, 401, "invalid_request"},
		{"prefix matches at segment boundary only", dev, "GET", "/api/ordersexport", []envoytest.Option{tok("admin")}, 403, "access_denied"},
		{"query string is not part of the path", dev, "GET", "/api/orders?x=/deploy", []envoytest.Option{tok("viewer")}, 200, ""},
		{"service principal maps to roles", dev, "GET", "/api/inventory/9", []envoytest.Option{envoytest.Principal(billing)}, 200, ""},
		{"service principal lacks permission", dev, "GET", "/api/orders", []envoytest.Option{envoytest.Principal(billing)}, 403, "access_denied"},
		{"unknown principal is unauthenticated", dev, "GET", "/api/inventory/9", []envoytest.Option{envoytest.Principal("spiffe://cluster.local/ns/evil/sa/x")}, 401, "invalid_request"},
		{"bad token is not rescued by mTLS", dev, "GET", "/api/inventory/9", []envoytest.Option{envoytest.Principal(billing), envoytest.Bearer("x.y.z")}, 401, "invalid_token"},
		{"context extension beats route table (deny)", dev, "GET", "/api/orders", []envoytest.Option{tok("viewer"), ext(map[string]string{"permission": "admin:access"})}, 403, "access_denied"},
		{"context extension beats route table (allow)", dev, "GET", "/internal/secrets", []envoytest.Option{tok("viewer"), ext(map[string]string{"permission": "orders:read"})}, 200, ""},
		{"context extension resource and action", dev, "GET", "/x", []envoytest.Option{tok("developer"), ext(map[string]string{"resource": "deploy", "action": "rollback"})}, 200, ""},
		{"context extension public", dev, "GET", "/internal/status", []envoytest.Option{ext(map[string]string{"public": "true"})}, 200, ""},
		{"public policy route", dev, "GET", "/docs/intro", nil, 200, ""},
		{"excluded path", dev, "GET", "/healthz", nil, 200, ""},
		{"excluded path is exact", dev, "GET", "/healthz/deep", nil, 401, "invalid_request"},
		{"context extension with a wildcard permission", dev, "GET", "/x", []envoytest.Option{tok("admin"), ext(map[string]string{"permission": "orders:*"})}, 500, "server_error"},
		{"context extension permission and public", dev, "GET", "/x", []envoytest.Option{ext(map[string]string{"permission": "orders:read", "public": "true"})}, 500, "server_error"},
		{"context extension resource without action", dev, "GET", "/x", []envoytest.Option{tok("admin"), ext(map[string]string{"resource": "orders"})}, 500, "server_error"},
		{"context extension shadow not a boolean", dev, "GET", "/x", []envoytest.Option{ext(map[string]string{"shadow": "maybe"})}, 500, "server_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := summarize(t, tc.f.check(t, envoytest.Request(tc.method, tc.path, tc.opts...)))
			if tc.status == 200 {
				if !r.allowed {
					t.Fatalf("denied %d %v, want allowed", r.status, r.body)
				}
				return
			}
			if r.allowed || r.status != tc.status || r.body["error"] != tc.reason {
				t.Fatalf("allowed=%v status=%d error=%q, want denied %d %q", r.allowed, r.status, r.body["error"], tc.status, tc.reason)
			}
		})
	}
}

// TestIdentityHeaders checks what the upstream receives: identity headers
// overwritten (append=false) from the verified token, and every identity
// header the server does not set removed, so a client cannot spoof them.
func TestIdentityHeaders(t *testing.T) {
	k := newKeys(t)
	f := newFixture(t, k)
	spoof := []envoytest.Option{
		envoytest.Header("x-user-id", "admin"),
		envoytest.Header("x-user-roles", "admin"),
		envoytest.Header("x-user-tenant", "victim"),
		envoytest.Header("x-client-principal", "spiffe://cluster.local/ns/billing/sa/billing"),
	}
	withTenant := claims("alice", "developer", "viewer")
	withTenant["tenant"] = "acme"

	tests := []struct {
		name     string
		req      []envoytest.Option
		path     string
		set      map[string]string
		removed  []string
		metadata map[string]string
	}{
		{
			name:    "token with tenant",
			req:     append([]envoytest.Option{envoytest.Bearer(k.sign(t, withTenant))}, spoof...),
			path:    "/api/orders",
			set:     map[string]string{"x-user-id": "alice", "x-user-roles": "developer,viewer", "x-user-tenant": "acme"},
			removed: []string{"x-client-principal"},
			metadata: map[string]string{"subject": "alice", "roles": "developer,viewer", "tenant": "acme", "issuer": testIssuer,
				"auth": "jwt", "route": "orders-read", "request_id": "4f6c1a9e-2b7d-4c3e-9a51-0d8e6f2b7c10"},
		},
		{
			name:     "token without tenant",
			req:      append([]envoytest.Option{envoytest.Bearer(k.sign(t, claims("bob", "viewer")))}, spoof...),
			path:     "/api/orders",
			set:      map[string]string{"x-user-id": "bob", "x-user-roles": "viewer"},
			removed:  []string{"x-user-tenant", "x-client-principal"},
			metadata: map[string]string{"subject": "bob", "roles": "viewer", "issuer": testIssuer, "auth": "jwt", "route": "orders-read", "request_id": "4f6c1a9e-2b7d-4c3e-9a51-0d8e6f2b7c10"},
		},
		{
			name:     "mTLS service",
			req:      append([]envoytest.Option{envoytest.Principal("spiffe://cluster.local/ns/billing/sa/billing")}, spoof...),
			path:     "/api/inventory/1",
			set:      map[string]string{"x-client-principal": "spiffe://cluster.local/ns/billing/sa/billing", "x-user-roles": "service_account"},
			removed:  []string{"x-user-id", "x-user-tenant"},
			metadata: map[string]string{"principal": "spiffe://cluster.local/ns/billing/sa/billing", "roles": "service_account", "auth": "mtls", "route": "inventory", "request_id": "4f6c1a9e-2b7d-4c3e-9a51-0d8e6f2b7c10"},
		},
		{
			name:     "public route strips everything",
			req:      spoof,
			path:     "/docs/a",
			set:      map[string]string{},
			removed:  []string{"x-user-id", "x-user-roles", "x-user-tenant", "x-client-principal"},
			metadata: map[string]string{"auth": "none", "route": "docs", "request_id": "4f6c1a9e-2b7d-4c3e-9a51-0d8e6f2b7c10"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := summarize(t, f.check(t, envoytest.Request("GET", tc.path, tc.req...)))
			if !r.allowed {
				t.Fatalf("denied %d %v", r.status, r.body)
			}
			if !equalMaps(r.headers, tc.set) {
				t.Errorf("headers set = %v, want %v", r.headers, tc.set)
			}
			for name, appendFlag := range r.appendFlags {
				if appendFlag {
					t.Errorf("%s sent with append=true: a client copy would survive", name)
				}
			}
			got := slices.Sorted(slices.Values(r.remove))
			want := slices.Sorted(slices.Values(tc.removed))
			if !slices.Equal(got, want) {
				t.Errorf("headers_to_remove = %v, want %v", got, want)
			}
			if !equalMaps(r.metadata, tc.metadata) {
				t.Errorf("dynamic metadata = %v, want %v", r.metadata, tc.metadata)
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
