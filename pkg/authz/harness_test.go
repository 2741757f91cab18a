package authz_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/martyedge/security/pkg/authz"
	"github.com/martyedge/security/pkg/rbac"
	"github.com/martyedge/security/pkg/token"
)

//lint:file-ignore SA1019 the tests inspect the deprecated append flag the server deliberately sets (see response.go)

const (
	testIssuer   = "https://idp.test"
	testAudience = "orders-api"
)

// keys are the test identity provider's signing keys.
type keys struct {
	rsa    *rsa.PrivateKey
	ec     *ecdsa.PrivateKey
	rsaPEM []byte // public key PEM, also the HS256 "secret" of the algorithm-confusion attack
	dir    string
}

func newKeys(t testing.TB) *keys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := &keys{rsa: rk, ec: ek, dir: t.TempDir()}
	k.rsaPEM = writePublicPEM(t, filepath.Join(k.dir, "rsa.pem"), &rk.PublicKey)
	writePublicPEM(t, filepath.Join(k.dir, "ec.pem"), &ek.PublicKey)
	return k
}

func writePublicPEM(t testing.TB, path string, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

func (k *keys) authnConfig() token.Config {
	return token.Config{Issuers: []token.IssuerConfig{{
		Issuer:     testIssuer,
		Audiences:  []string{testAudience},
		Algorithms: []string{"RS256", "ES256"},
		PEMKeys: []token.PEMKey{
			{KeyID: "rsa-1", File: filepath.Join(k.dir, "rsa.pem")},
			{KeyID: "ec-1", File: filepath.Join(k.dir, "ec.pem")},
		},
	}}}
}

// claims returns valid claims for sub with roles; callers edit the map.
func claims(sub string, roles ...string) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"iss": testIssuer, "aud": testAudience, "sub": sub,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if roles != nil {
		c["roles"] = roles
	}
	return c
}

// sign returns a compact JWS of c signed by the EC key (kid ec-1).
func (k *keys) sign(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	return signWith(t, jwt.SigningMethodES256, k.ec, "ec-1", c)
}

func signWith(t testing.TB, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fixture is an authz Service served over a real gRPC connection, as Envoy
// reaches it.
type fixture struct {
	keys   *keys
	svc    *authz.Service
	client authv3.AuthorizationClient
}

type fixtureOpt func(*authz.Options, *string)

func withShadow() fixtureOpt { return func(o *authz.Options, _ *string) { o.Shadow = true } }

func withEnvironment(env string) fixtureOpt { return func(_ *authz.Options, e *string) { *e = env } }

// withPolicy loads another policy file from testdata.
func withPolicy(file string) fixtureOpt {
	return func(o *authz.Options, _ *string) { o.Policy = mustLoadPolicy(file) }
}

func withOptions(f func(*authz.Options)) fixtureOpt {
	return func(o *authz.Options, _ *string) { f(o) }
}

func newFixture(t testing.TB, k *keys, opts ...fixtureOpt) *fixture {
	t.Helper()
	ctx := t.Context()
	ver, err := token.NewVerifier(ctx, k.authnConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ver.Close)
	o := authz.Options{
		Authenticator: ver,
		Logger:        slog.New(slog.DiscardHandler),
		ExcludedPaths: []string{"/healthz"},
		Realm:         "orders",
	}
	env := "development"
	for _, f := range opts {
		f(&o, &env)
	}
	if o.Policy == nil {
		o.Policy, err = rbac.Load("testdata/policy.yaml", env)
		if err != nil {
			t.Fatal(err)
		}
	}
	svc, err := authz.NewService(o)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{keys: k, svc: svc, client: serve(t, svc)}
}

// serve runs svc on a loopback gRPC server and returns a client for it.
func serve(t testing.TB, svc authv3.AuthorizationServer) authv3.AuthorizationClient {
	t.Helper()
	lis, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	authv3.RegisterAuthorizationServer(gs, svc)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return authv3.NewAuthorizationClient(cc)
}

func (f *fixture) check(t *testing.T, req *authv3.CheckRequest) *authv3.CheckResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	resp, err := f.client.Check(ctx, req)
	if err != nil {
		t.Fatalf("Check RPC failed (Envoy would treat this as an authz outage): %v", err)
	}
	return resp
}

// result is a CheckResponse reduced to what Envoy does with it.
type result struct {
	allowed     bool
	grpcCode    int32
	status      int               // HTTP status of a denial
	headers     map[string]string // denial headers, or headers set upstream on allow
	appendFlags map[string]bool   // allow: the append flag sent with each set header
	remove      []string          // allow: headers_to_remove
	body        map[string]string // denial JSON body
	metadata    map[string]string
}

// summarize reduces a CheckResponse to what Envoy applies.
func summarize(t *testing.T, resp *authv3.CheckResponse) result {
	t.Helper()
	r := result{grpcCode: resp.GetStatus().GetCode(), headers: map[string]string{}, appendFlags: map[string]bool{}}
	if ok := resp.GetOkResponse(); ok != nil || resp.GetDeniedResponse() == nil {
		r.allowed = r.grpcCode == 0
		for _, h := range ok.GetHeaders() {
			if h.GetAppend() == nil {
				t.Errorf("header %q set without an explicit append flag: Envoy 1.37.0 would append", h.GetHeader().GetKey())
			}
			r.headers[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
			r.appendFlags[h.GetHeader().GetKey()] = h.GetAppend().GetValue()
		}
		r.remove = ok.GetHeadersToRemove()
		if md := resp.GetDynamicMetadata(); md != nil {
			r.metadata = map[string]string{}
			for k, v := range md.GetFields() {
				r.metadata[k] = v.GetStringValue()
			}
		}
		return r
	}
	d := resp.GetDeniedResponse()
	r.status = int(d.GetStatus().GetCode())
	for _, h := range d.GetHeaders() {
		if h.GetAppend() != nil {
			t.Errorf("denied header %q sets append: pre-2026 Envoy drops append=true entries", h.GetHeader().GetKey())
		}
		r.headers[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
	}
	if err := json.Unmarshal([]byte(d.GetBody()), &r.body); err != nil {
		t.Fatalf("denial body is not a JSON object of strings: %v: %s", err, d.GetBody())
	}
	return r
}

func mustEC(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustLoadPolicy(file string) *rbac.Policy {
	p, err := rbac.Load("testdata/"+file, "development")
	if err != nil {
		panic(err) // testdata is part of the test; a broken file is a bug here
	}
	return p
}
