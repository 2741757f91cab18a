package cli_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/martyedge/security/internal/cli"
	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/config"
	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
)

const quickstart = "../../examples/quickstart/config.yaml"

func run(t *testing.T, ctx context.Context, environ []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Run(ctx, cli.Env{Args: args, Stdout: &out, Stderr: &errOut, Environ: environ})
	return code, out.String(), errOut.String()
}

// TestTokenCommand mints a token the way the README tells a new user to,
// and checks that the quick-start server would accept it.
func TestTokenCommand(t *testing.T) {
	code, out, stderr := run(t, t.Context(), nil, "token", "--config", quickstart, "--sub", "alice", "--roles", "developer, viewer", "--tenant", "acme", "--ttl", "10m")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cfg, err := config.Load(quickstart, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := token.NewVerifier(t.Context(), cfg.Authn)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	id, err := v.Verify(t.Context(), strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("minted token rejected: %v", err)
	}
	if id.Subject != "alice" || strings.Join(id.Roles, ",") != "developer,viewer" || id.Tenant != "acme" {
		t.Errorf("identity = %+v", id)
	}
	if ttl := time.Until(id.ExpiresAt); ttl > 10*time.Minute || ttl < 9*time.Minute {
		t.Errorf("token lives %s, want 10m", ttl)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("policy: p.yaml\nlisten:\n  grcp: :1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		environ []string
		args    []string
		code    int
		stderr  string
	}{
		{"token without --sub", nil, []string{"token", "--config", quickstart}, 2, "--sub is required"},
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", nil, []string{"serve", "--confg", quickstart}, 2, "flag provided but not defined"},
		{"no config", nil, []string{"serve"}, 1, "pass --config FILE or set EXTAUTHZ_CONFIG"},
		{"missing config file", nil, []string{"--config", filepath.Join(dir, "nope.yaml")}, 1, "nope.yaml"},
		{"bad config names file and line", nil, []string{"--config", bad}, 1, "bad.yaml:3"},
		{"bad config from EXTAUTHZ_CONFIG", []string{"EXTAUTHZ_CONFIG=" + bad}, nil, 1, "bad.yaml:3"},
		{"bad environment override", []string{"EXTAUTHZ_LOG_LEVEL=loud"}, []string{"--config", quickstart}, 1, "EXTAUTHZ_LOG_LEVEL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, t.Context(), tc.environ, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
}

// TestServeQuickstart runs the README's first command until it is told to
// stop, as SIGTERM would.
func TestServeQuickstart(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	env := []string{"EXTAUTHZ_LISTEN_GRPC=127.0.0.1:0", "EXTAUTHZ_LISTEN_ADMIN=127.0.0.1:0", "EXTAUTHZ_ADMIN_API_LISTEN=127.0.0.1:0"}
	code, _, stderr := run(t, ctx, env, "--config", quickstart)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"policy loaded", "serving", "stopped"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("log does not say %q:\n%s", want, stderr)
		}
	}
}

// TestTokenCommandCreatesSession: with a Redis session store and issuing
// keys configured, `extauthz token` creates a real session that running
// servers see, and prints a token bound to it.
func TestTokenCommandCreatesSession(t *testing.T) {
	redis := redistest.Start(t)
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "issuing.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	qs, err := filepath.Abs("../../examples/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "config.yaml")
	cfgText := fmt.Sprintf(`policy: %s/policy.yaml
authn:
  issuers:
    - {issuer: https://auth.quickstart.local, audiences: [orders-api], algorithms: [ES256], jwks_file: %s/dev-jwks.json}
issuing:
  issuer: https://edge.test
  audience: orders-api
  keys: [{kid: k1, key_file: issuing.pem}]
sessions:
  store: redis
  redis: {addrs: [%q]}
`, qs, qs, redis.Addr())
	if err := os.WriteFile(cfgFile, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, t.Context(), nil, "token", "--config", cfgFile, "--sub", "alice", "--roles", "viewer", "--ttl", "2h")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cfg, err := config.Load(cfgFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := token.NewKeyRing(*cfg.Issuing)
	if err != nil {
		t.Fatal(err)
	}
	v, err := token.NewVerifier(t.Context(), cfg.Authn, token.WithKeyRing(ring))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	id, err := v.Verify(t.Context(), strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("token rejected: %v", err)
	}
	store, err := session.NewRedisStore(t.Context(), cfg.Sessions.Redis)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	st, err := store.Lookup(t.Context(), session.Query{SessionID: id.SessionID, Subject: "alice", Now: time.Now()})
	if err != nil || st.Session == nil {
		t.Fatalf("session %q not in Redis: %+v, %v", id.SessionID, st, err)
	}
	if strings.Join(st.Session.Roles, ",") != "viewer" || time.Until(st.Session.ExpiresAt) < 119*time.Minute {
		t.Errorf("session = %+v", st.Session)
	}
}
