package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/martyedge/security/internal/envoytest"
	"github.com/martyedge/security/pkg/config"
	"github.com/martyedge/security/pkg/server"
	"github.com/martyedge/security/pkg/token"
)

// running is a server started on loopback ports.
type running struct {
	cancel context.CancelFunc
	done   chan error
	grpc   *grpc.ClientConn
	admin  string
	cfg    *config.Config
}

func start(t *testing.T, cfg *config.Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cfg.Listen.GRPC, cfg.Listen.Admin, cfg.AdminAPI.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	l, err := server.Listen(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &running{cancel: cancel, done: make(chan error, 1), admin: "http://" + l.Admin.Addr().String(), cfg: cfg}
	go func() { r.done <- srv.Serve(ctx, l) }()
	r.grpc, err = grpc.NewClient(l.GRPC.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = r.grpc.Close()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return r
}

func quickstart(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load("../../examples/quickstart/config.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func mint(t *testing.T, cfg *config.Config, roles ...string) string {
	t.Helper()
	s, err := token.NewSigner(*cfg.Authn.Signing)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Mint(time.Now(), token.MintClaims{Subject: "alice", Roles: roles, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func health(t *testing.T, cc *grpc.ClientConn, service string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	resp, err := healthpb.NewHealthClient(cc).Check(t.Context(), &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		t.Fatalf("health check %q: %v", service, err)
	}
	return resp.GetStatus()
}

func TestServeAndShutdown(t *testing.T) {
	cfg := quickstart(t)
	cfg.Shutdown.DrainDelay = 300 * time.Millisecond
	r := start(t, cfg)

	for _, svc := range []string{"", server.AuthorizationService} {
		if got := health(t, r.grpc, svc); got != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health(%q) = %s, want SERVING", svc, got)
		}
	}
	if code, body := httpGet(t, r.admin+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d %s", code, body)
	}
	if code, body := httpGet(t, r.admin+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %s", code, body)
	}

	client := authv3.NewAuthorizationClient(r.grpc)
	req := envoytest.Request("GET", "/api/orders?page=2", envoytest.Bearer(mint(t, cfg, "viewer")))
	resp, err := client.Check(t.Context(), req)
	if err != nil || resp.GetStatus().GetCode() != 0 {
		t.Fatalf("Check = %v, %v; want allowed", resp.GetStatus(), err)
	}
	if code, body := httpGet(t, r.admin+"/metrics"); code != 200 || !strings.Contains(body, `extauthz_checks_total{decision="allow",reason="allowed"} 1`) {
		t.Errorf("/metrics = %d, want the allowed Check counted:\n%s", code, body)
	}

	r.cancel()
	// During the drain delay the server still answers, but says it is going.
	deadline := time.Now().Add(cfg.Shutdown.DrainDelay)
	sawNotServing := false
	for time.Now().Before(deadline) && !sawNotServing {
		hr, err := healthpb.NewHealthClient(r.grpc).Check(t.Context(), &healthpb.HealthCheckRequest{Service: server.AuthorizationService})
		sawNotServing = err == nil && hr.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING
	}
	if !sawNotServing {
		t.Error("health did not report NOT_SERVING during the drain delay")
	}
	if code, _ := httpGet(t, r.admin+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz during drain = %d, want 503", code)
	}
	if resp, err := client.Check(t.Context(), req); err != nil || resp.GetStatus().GetCode() != 0 {
		t.Errorf("Check during drain = %v, %v; want still answered", resp.GetStatus(), err)
	}
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Serve returned %v, want nil after a clean shutdown", err)
		}
		r.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}

// TestShutdownFinishesInFlightChecks starts a Check that is slow (its token
// names a key the JWKS endpoint only serves after a delay) and shuts the
// server down while it runs: the Check must still get its answer.
func TestShutdownFinishesInFlightChecks(t *testing.T) {
	cfg := quickstart(t)
	var slow atomic.Bool
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if slow.Load() {
			time.Sleep(400 * time.Millisecond)
		}
		http.ServeFile(w, req, "../../examples/quickstart/dev-jwks.json")
	}))
	t.Cleanup(jwks.Close)
	is := &cfg.Authn.Issuers[0]
	is.JWKSFile, is.JWKSURL, is.JWKS.AllowHTTP = "", jwks.URL, true
	is.JWKS.UnknownKIDRefetchInterval = time.Millisecond
	r := start(t, cfg)
	waitReady(t, r)

	signing := *cfg.Authn.Signing
	signing.KeyID = "not-yet-published"
	s, err := token.NewSigner(signing)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Mint(time.Now(), token.MintClaims{Subject: "alice", Roles: []string{"viewer"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	slow.Store(true)
	got := make(chan error, 1)
	go func() {
		resp, err := authv3.NewAuthorizationClient(r.grpc).Check(context.Background(),
			envoytest.Request("GET", "/api/orders", envoytest.Bearer(tok)))
		if err == nil && resp.GetDeniedResponse() == nil {
			err = errors.New("unknown kid was allowed")
		}
		got <- err
	}()
	time.Sleep(100 * time.Millisecond) // the Check is now waiting on the JWKS fetch
	r.cancel()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("in-flight Check: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("in-flight Check never answered")
	}
}

func waitReady(t *testing.T, r *running) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if code, _ := httpGet(t, r.admin+"/readyz"); code == 200 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, body := httpGet(t, r.admin+"/readyz")
	t.Fatalf("server never became ready: %s", strings.TrimSpace(body))
}

func TestNewRejectsBadPolicy(t *testing.T) {
	cfg := quickstart(t)
	cfg.Policy = "testdata/does-not-exist.yaml"
	_, err := server.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "does-not-exist.yaml") {
		t.Fatalf("New = %v, want an error naming the policy file", err)
	}
}
