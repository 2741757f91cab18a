package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/martyedge/security/internal/envoytest"
	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/config"
	"github.com/martyedge/security/pkg/server"
	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
	authzv1 "github.com/martyedge/security/proto/marty/authz/v1"
)

const adminToken = "e2e-admin-token-0123456789abcdef0123456789"

// sessionConfig is the quick-start configuration plus token issuing, the
// admin API (token auth) and the given session store.
func sessionConfig(t *testing.T, store string, redisAddrs ...string) *config.Config {
	t.Helper()
	cfg := quickstart(t)
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "issuing.pem")
	tokenFile := filepath.Join(dir, "admin-token")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte(adminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Issuing = &token.IssuingConfig{
		Issuer: "https://edge.test", Audience: "orders-api",
		Keys: []token.IssuingKey{{KeyID: "e2e-1", KeyFile: keyFile}},
	}
	cfg.AdminAPI.Enabled = true
	cfg.AdminAPI.Auth.TokenFile = tokenFile
	cfg.Sessions.Store = store
	cfg.Sessions.Redis.Addrs = redisAddrs
	cfg.Sessions.Timeout = 500 * time.Millisecond // -race on a busy 2-core machine
	cfg.Sessions.Redis.ReadTimeout, cfg.Sessions.Redis.WriteTimeout = 400*time.Millisecond, 400*time.Millisecond
	// Re-validate through the loader's rules (defaults for the new parts).
	if err := reparse(t, cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// reparse validates a config built in code with the same rules as a file.
func reparse(t *testing.T, cfg *config.Config) error {
	t.Helper()
	if err := cfg.Issuing.Validate(); err != nil {
		return err
	}
	if cfg.Sessions.Store == config.StoreRedis {
		return cfg.Sessions.Redis.Validate()
	}
	return nil
}

// replica is one running server with clients for Check and the admin API.
type replica struct {
	check authv3.AuthorizationClient
	admin authzv1.SessionServiceClient
}

func startReplica(t *testing.T, cfg *config.Config) *replica {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var lc net.ListenConfig
	var l server.Listeners
	for _, p := range []*net.Listener{&l.GRPC, &l.Admin, &l.AdminAPI} {
		if *p, err = lc.Listen(ctx, "tcp", "127.0.0.1:0"); err != nil {
			cancel()
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	dial := func(addr string) *grpc.ClientConn {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cc.Close() })
		return cc
	}
	return &replica{
		check: authv3.NewAuthorizationClient(dial(l.GRPC.Addr().String())),
		admin: authzv1.NewSessionServiceClient(dial(l.AdminAPI.Addr().String())),
	}
}

func adminCtx(t *testing.T) context.Context {
	return metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+adminToken)
}

// decide returns the HTTP status Envoy would act on: 200 for allow.
func decide(t *testing.T, r *replica, method, path, tok string) int {
	t.Helper()
	resp, err := r.check.Check(t.Context(), envoytest.Request(method, path, envoytest.Bearer(tok)))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if d := resp.GetDeniedResponse(); d != nil {
		return int(d.GetStatus().GetCode())
	}
	return 200
}

// eventually polls decide until it returns want or bound passes, and
// reports how long the change took to be seen.
func eventually(t *testing.T, bound time.Duration, r *replica, method, path, tok string, want int) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := decide(t, r, method, path, tok)
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > bound {
			t.Fatalf("%s %s = %d after %s, want %d", method, path, got, bound, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSessionLifecycle creates a session through the admin API, and checks
// with its token that role changes and revocation change decisions, with
// the in-memory store (one replica) and with Redis (two replicas sharing
// it: a change made through one is seen by the other).
func TestSessionLifecycle(t *testing.T) {
	// Revocations must reach every replica within this bound (README).
	const bound = time.Second
	redis := redistest.Start(t)
	tests := []struct {
		name     string
		cfg      func(t *testing.T) *config.Config
		replicas int
	}{
		{"memory", func(t *testing.T) *config.Config { return sessionConfig(t, config.StoreMemory) }, 1},
		{"redis, two replicas", func(t *testing.T) *config.Config { return sessionConfig(t, config.StoreRedis, redis.Addr()) }, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg(t)
			var rs []*replica
			for range tc.replicas {
				rs = append(rs, startReplica(t, cfg))
			}
			first, last := rs[0], rs[len(rs)-1]
			created, err := first.admin.CreateSession(adminCtx(t), &authzv1.CreateSessionRequest{Subject: "alice", Roles: []string{"viewer"}, Tenant: "acme"})
			if err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
			tok, sid := created.GetAccessToken().GetToken(), created.GetSession().GetId()
			if _, ok := session.TagOf(sid); !ok {
				t.Fatalf("session id %q is not a store id", sid)
			}
			for _, r := range rs {
				if got := decide(t, r, "GET", "/api/orders", tok); got != 200 {
					t.Fatalf("GET with a fresh session = %d, want 200", got)
				}
				if got := decide(t, r, "POST", "/api/orders", tok); got != 403 {
					t.Fatalf("POST as viewer = %d, want 403", got)
				}
			}

			if _, err := first.admin.SetSessionRoles(adminCtx(t), &authzv1.SetSessionRolesRequest{SessionId: sid, Roles: []string{"developer"}}); err != nil {
				t.Fatalf("SetSessionRoles: %v", err)
			}
			took := eventually(t, bound, last, "POST", "/api/orders", tok, 200)
			t.Logf("role change seen by the last replica after %s", took)

			// One leaked token is revoked; a fresh token for the same session works.
			at := created.GetAccessToken()
			if _, err := first.admin.RevokeToken(adminCtx(t), &authzv1.RevokeTokenRequest{
				Subject: "alice", TokenId: at.GetTokenId(), ExpireTime: at.GetExpireTime(),
			}); err != nil {
				t.Fatalf("RevokeToken: %v", err)
			}
			eventually(t, bound, last, "GET", "/api/orders", tok, 401)
			refreshed, err := first.admin.RefreshSession(adminCtx(t), &authzv1.RefreshSessionRequest{SessionId: sid})
			if err != nil {
				t.Fatalf("RefreshSession: %v", err)
			}
			tok = refreshed.GetAccessToken().GetToken()
			if got := decide(t, last, "POST", "/api/orders", tok); got != 200 {
				t.Fatalf("refreshed token = %d, want 200 (session still live, roles developer)", got)
			}
			if _, err := first.admin.RevokeToken(adminCtx(t), &authzv1.RevokeTokenRequest{Subject: "alice", TokenId: "x"}); status.Code(err) != codes.InvalidArgument {
				t.Errorf("RevokeToken without expire_time = %v, want InvalidArgument", err)
			}

			if _, err := first.admin.RevokeSession(adminCtx(t), &authzv1.RevokeSessionRequest{SessionId: sid}); err != nil {
				t.Fatalf("RevokeSession: %v", err)
			}
			for _, r := range rs {
				took := eventually(t, bound, r, "GET", "/api/orders", tok, 401)
				t.Logf("revocation seen after %s", took)
			}
			_, err = first.admin.GetSession(adminCtx(t), &authzv1.GetSessionRequest{SessionId: sid})
			if status.Code(err) != codes.NotFound {
				t.Errorf("GetSession after revoke = %v, want NotFound", err)
			}
		})
	}
}

// TestAdminAPIRequiresAuthentication: no token, no session.
func TestAdminAPIRequiresAuthentication(t *testing.T) {
	r := startReplica(t, sessionConfig(t, config.StoreMemory))
	_, err := r.admin.CreateSession(t.Context(), &authzv1.CreateSessionRequest{Subject: "mallory", Roles: []string{"admin"}})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("CreateSession without the admin token = %v, want Unauthenticated", err)
	}
	bad := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+strings.Repeat("x", len(adminToken)))
	if _, err := r.admin.CreateSession(bad, &authzv1.CreateSessionRequest{Subject: "mallory"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("CreateSession with a wrong token = %v, want Unauthenticated", err)
	}
}
