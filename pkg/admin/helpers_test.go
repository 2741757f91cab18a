package admin

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
	authzv1 "github.com/martyedge/security/proto/marty/authz/v1"
)

// The memory store is what the service is tested with; the Redis store is
// held to the same contract by package session's tests.
var _ Store = (*session.MemoryStore)(nil)

// testAdminToken is the admin bearer token of the tests (64 bytes).
const testAdminToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

const (
	testIssuer   = "https://edge.test"
	testAudience = "api"
)

// testNow is the start of every fake clock.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is a manually advanced clock shared by the store, the service
// and the verifier.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

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

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newRing returns a ring with one Ed25519 key "k1" (fast to generate and
// sign with under -race).
func newRing(t *testing.T) *token.KeyRing {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := token.NewKeyRing(token.IssuingConfig{
		Issuer: testIssuer, Audience: testAudience,
		Keys: []token.IssuingKey{{KeyID: "k1", KeyFile: writeFile(t, "k1.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// harness is a SessionService served over a loopback gRPC connection.
type harness struct {
	clock *fakeClock
	store *session.MemoryStore
	ring  *token.KeyRing
	svc   *Service
	addr  string
}

// serve starts the service on 127.0.0.1:0 with cfg (an admin token file is
// added when cfg has no auth) and stops it when the test ends. creds may
// be nil (plaintext); noInterceptor leaves UnaryInterceptor out.
func serve(t *testing.T, cfg Config, creds credentials.TransportCredentials, noInterceptor bool) *harness {
	t.Helper()
	if cfg.Auth.TokenFile == "" && cfg.Auth.TLS == nil {
		cfg.Auth.TokenFile = writeFile(t, "admin-token", []byte(testAdminToken+"\n"))
	}
	h := &harness{clock: &fakeClock{t: testNow}, ring: newRing(t)}
	h.store = session.NewMemoryStore(session.WithClock(h.clock.Now))
	t.Cleanup(func() { _ = h.store.Close() })
	svc, err := New(cfg, h.store, h.ring, WithClock(h.clock.Now))
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	h.svc = svc
	var opts []grpc.ServerOption
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	if !noInterceptor {
		opts = append(opts, grpc.ChainUnaryInterceptor(svc.UnaryInterceptor()))
	}
	gs := grpc.NewServer(opts...)
	svc.Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	h.addr = lis.Addr().String()
	return h
}

// client dials the harness with the given transport credentials (nil:
// plaintext) and, when bearer is not empty, an authorization header.
func (h *harness) client(t *testing.T, creds credentials.TransportCredentials, bearer string) authzv1.SessionServiceClient {
	t.Helper()
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if bearer != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearerCreds(bearer)))
	}
	conn, err := grpc.NewClient(h.addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return authzv1.NewSessionServiceClient(conn)
}

// bearerCreds sends "authorization: <value>" on every call; plaintext is
// allowed because the tests run on loopback.
type bearerCreds string

func (b bearerCreds) GetRequestMetadata(_ context.Context, _ ...string) (map[string]string, error) {
	return map[string]string{"authorization": string(b)}, nil
}

func (b bearerCreds) RequireTransportSecurity() bool { return false }

// verifier verifies tokens with the ring's current JWKS written to a
// jwks_file, at the harness clock.
func (h *harness) verifier(t *testing.T) *token.Verifier {
	t.Helper()
	doc, err := h.ring.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	v, err := token.NewVerifier(t.Context(), token.Config{Issuers: []token.IssuerConfig{{
		Issuer: testIssuer, Audiences: []string{testAudience},
		Algorithms: []string{"EdDSA", "ES256"},
		JWKSFile:   writeFile(t, "jwks.json", doc),
	}}}, token.WithClock(h.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// wantCode fails the test unless err is a status with code want.
func wantCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("status = %v (%v), want %v", got, err, want)
	}
}

// violatedFields returns the fields of an INVALID_ARGUMENT's BadRequest.
func violatedFields(err error) []string {
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

// pki is a test CA with helpers to issue server and client certificates.
type pki struct {
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	dir   string
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	key := newECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &pki{ca: ca, caKey: key, dir: t.TempDir()}
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// caFile writes the CA certificate and returns its path.
func (p *pki) caFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(p.dir, "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue signs a leaf certificate: a server certificate for 127.0.0.1, or a
// client certificate with the common name and URI SAN given.
func (p *pki) issue(t *testing.T, server bool, cn, uri string) tls.Certificate {
	t.Helper()
	key := newECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	if uri != "" {
		u, err := url.Parse(uri)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = []*url.URL{u}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// writeKeyPair writes a certificate and its key as PEM files.
func (p *pki) writeKeyPair(t *testing.T, name string, c tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(p.dir, name+".crt")
	keyFile = filepath.Join(p.dir, name+".key")
	if err := errors.Join(
		os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600),
		os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600),
	); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// clientTLS returns client credentials trusting serverCA and presenting
// cert (none when cert is nil).
func clientTLS(serverCA *pki, cert *tls.Certificate) credentials.TransportCredentials {
	roots := x509.NewCertPool()
	roots.AddCert(serverCA.ca)
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS13}
	if cert != nil {
		// Always present it: crypto/tls would otherwise withhold a
		// certificate the server's CA list does not name, and the rogue
		// certificate case would not reach the server's verification.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return credentials.NewTLS(cfg)
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
