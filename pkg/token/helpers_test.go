package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// Key material is generated once per test binary (RSA generation is slow
// under -race) and never written anywhere but t.TempDir().
type keyMaterial struct {
	rsa, rsa2, rsa3 *rsa.PrivateKey
	ec256, ec384    *ecdsa.PrivateKey
	ed              ed25519.PrivateKey
	hmac            []byte
}

var testKeys = sync.OnceValue(func() *keyMaterial {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	var (
		k   keyMaterial
		err error
	)
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsa3, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.ec256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.ec384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	k.hmac = []byte("0123456789abcdef0123456789abcdef") // exactly 32 bytes
	return &k
})

// testNow is the fixed start of every fake clock.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is an injectable, manually advanced clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: testNow} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sign builds a JWS with the given header additions and claims. It uses the
// jwt library so that the tests do not share code with the verifier.
func sign(t testing.TB, alg string, key any, header map[string]any, claims map[string]any) string {
	t.Helper()
	m := jwt.GetSigningMethod(alg)
	if m == nil {
		t.Fatalf("unknown alg %q", alg)
	}
	tok := jwt.NewWithClaims(m, jwt.MapClaims(claims))
	maps.Copy(tok.Header, header)
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", alg, err)
	}
	return s
}

// rawToken assembles a token from arbitrary header and payload JSON and a
// signature, for tokens the jwt library refuses to produce.
func rawToken(header, payload string, sig []byte) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(sig)
}

// claimsAt returns valid claims for iss issued at now.
func claimsAt(iss string, now time.Time) map[string]any {
	return map[string]any{
		"iss":   iss,
		"aud":   "api",
		"sub":   "user-1",
		"iat":   now.Unix(),
		"exp":   now.Add(10 * time.Minute).Unix(),
		"jti":   "jti-1",
		"roles": []string{"reader", "writer"},
	}
}

// with returns a copy of m with the given changes; a nil value deletes.
func with(m map[string]any, kv ...any) map[string]any {
	out := maps.Clone(m)
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
		} else {
			out[k] = kv[i+1]
		}
	}
	return out
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writePublicPEM writes pub as a PKIX "PUBLIC KEY" PEM file.
func writePublicPEM(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	return writeFile(t, "pub.pem", publicPEM(t, pub))
}

func publicPEM(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// jwk describes one key of a served JWK Set.
type jwk struct {
	kid string
	alg string
	pub crypto.PublicKey
}

// jwksJSON renders public keys as a JWK Set using jwkset.
func jwksJSON(t testing.TB, keys ...jwk) []byte {
	t.Helper()
	set := jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{}}
	for _, k := range keys {
		j, err := jwkset.NewJWKFromKey(k.pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
			KID: k.kid, ALG: jwkset.ALG(k.alg), USE: jwkset.UseSig,
		}})
		if err != nil {
			t.Fatalf("jwk %q: %v", k.kid, err)
		}
		set.Keys = append(set.Keys, j.Marshal())
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jwksServer is a TLS JWK Set endpoint whose body and status can change
// while the test runs. It counts the requests it receives.
type jwksServer struct {
	*httptest.Server
	hits   atomic.Int64
	body   atomic.Pointer[[]byte]
	status atomic.Int32
	delay  atomic.Int64 // nanoseconds to hold each response, to widen races
	cc     atomic.Pointer[string]
}

func newJWKSServer(t testing.TB, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.set(body)
	s.status.Store(http.StatusOK)
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if d := time.Duration(s.delay.Load()); d > 0 {
			time.Sleep(d)
		}
		if cc := s.cc.Load(); cc != nil {
			w.Header().Set("Cache-Control", *cc)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(s.status.Load()))
		_, _ = w.Write(*s.body.Load())
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(body []byte) { s.body.Store(&body) }

// jwksIssuer returns an issuer config for the server (RS256/ES256).
func jwksIssuer(iss, url string) IssuerConfig {
	return IssuerConfig{
		Issuer:     iss,
		Audiences:  []string{"api"},
		Algorithms: []string{"RS256", "ES256"},
		JWKSURL:    url,
		JWKS:       JWKSConfig{UnknownKIDRefetchInterval: time.Minute},
	}
}

// newVerifier builds a Verifier that is closed when the test ends.
func newVerifier(t testing.TB, cfg Config, opts ...Option) *Verifier {
	t.Helper()
	ctx := t.Context()
	v, err := NewVerifier(ctx, cfg, opts...)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// certPEM returns the TLS test server's certificate as PEM.
func certPEM(srv *jwksServer) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func x509MarshalPKCS8(key any) ([]byte, error) { return x509.MarshalPKCS8PrivateKey(key) }

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// selfSignedPEM returns a self-signed certificate for key as PEM.
func selfSignedPEM(t testing.TB, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test signer"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("CERTIFICATE", der)
}

// newPlainServer serves body over plain http.
func newPlainServer(t testing.TB, body []byte) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}
