package loadtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"

	"github.com/martyedge/security/internal/envoytest"
	"github.com/martyedge/security/pkg/config"
	"github.com/martyedge/security/pkg/server"
	"github.com/martyedge/security/pkg/token"
)

// Options configure a comparison run.
type Options struct {
	// Config is the extauthz configuration to serve; it must have
	// authn.signing so the tool can mint an accepted token.
	Config *config.Config
	// Roles and Permission shape the request: a token with Roles calling a
	// route that requires Permission (via context_extensions).
	Roles      []string
	Permission string
	Workers    int
	Conns      int
	Warmup     time.Duration
	Duration   time.Duration
}

// Report is the outcome of Compare.
type Report struct {
	Noop, Real      Result // closed loop: capacity
	HalfLoad        Result // open loop on the real server at half its capacity
	ThroughputRatio float64
}

// Compare measures, in one process and one run, the closed-loop capacity of
// a no-op Check server built from the same gRPC stack (the ceiling) and of
// the real server on the cached-token allow path, then the real server's
// latency open-loop at half of its capacity. Progress goes to w.
func Compare(ctx context.Context, o Options, w io.Writer) (Report, error) {
	var rep Report
	cfg := *o.Config
	cfg.Log.Level = "error"
	if cfg.Authn.Signing == nil {
		return rep, fmt.Errorf("%s has no authn.signing: the load tool mints its token with it", cfg.Path)
	}
	signer, err := token.NewSigner(*cfg.Authn.Signing)
	if err != nil {
		return rep, fmt.Errorf("authn.signing: %w", err)
	}
	tok, err := signer.Mint(time.Now(), token.MintClaims{Subject: "load-test", Roles: o.Roles, TTL: time.Hour})
	if err != nil {
		return rep, err
	}
	req := envoytest.Request("GET", "/api/orders?limit=20", envoytest.Bearer(tok),
		envoytest.Extensions(map[string]string{"permission": o.Permission}))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	realAddr, realDone, err := startReal(ctx, &cfg)
	if err != nil {
		return rep, err
	}
	noopAddr, noopStop, err := startNoop(cfg.GRPC)
	if err != nil {
		return rep, err
	}
	defer noopStop()

	fmt.Fprintf(w, "closed loop: %d workers over %d connections, %s warm-up + %s each\n", o.Workers, o.Conns, o.Warmup, o.Duration)
	if rep.Noop, err = ClosedLoop(ctx, Target{Addr: noopAddr, Conns: o.Conns}, req, o.Workers, o.Warmup, o.Duration); err != nil {
		return rep, err
	}
	fmt.Fprintf(w, "  no-op server   %s\n", rep.Noop)
	if rep.Real, err = ClosedLoop(ctx, Target{Addr: realAddr, Conns: o.Conns}, req, o.Workers, o.Warmup, o.Duration); err != nil {
		return rep, err
	}
	fmt.Fprintf(w, "  extauthz       %s\n", rep.Real)
	if rep.Noop.RPS() > 0 {
		rep.ThroughputRatio = rep.Real.RPS() / rep.Noop.RPS()
	}
	fmt.Fprintf(w, "  throughput ratio extauthz/no-op: %.2f\n", rep.ThroughputRatio)
	if rep.Real.Denied > 0 || rep.Real.Errors > 0 {
		return rep, fmt.Errorf("the allow path was not exercised: %d denied, %d errors", rep.Real.Denied, rep.Real.Errors)
	}
	half := rep.Real.RPS() / 2
	fmt.Fprintf(w, "open loop at half capacity (%.0f req/s):\n", half)
	if rep.HalfLoad, err = OpenLoop(ctx, Target{Addr: realAddr, Conns: o.Conns}, req, half, 4*o.Workers, o.Warmup, o.Duration); err != nil {
		return rep, err
	}
	fmt.Fprintf(w, "  extauthz       %s\n", rep.HalfLoad)
	cancel()
	if err := <-realDone; err != nil {
		return rep, err
	}
	return rep, nil
}

func startReal(ctx context.Context, cfg *config.Config) (string, <-chan error, error) {
	srv, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", nil, err
	}
	var lc net.ListenConfig
	gl, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	al, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		gl.Close()
		return "", nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, gl, al) }()
	return gl.Addr().String(), done, nil
}

// noop answers every Check with OK and nothing else: the ceiling of what
// this gRPC stack can do on this machine.
type noop struct {
	authv3.UnimplementedAuthorizationServer
}

var okResponse = &authv3.CheckResponse{Status: &rpcstatus.Status{}}

func (noop) Check(context.Context, *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	return okResponse, nil
}

func startNoop(c config.GRPC) (string, func(), error) {
	gs := server.NewGRPCServer(c)
	authv3.RegisterAuthorizationServer(gs, noop{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go func() { _ = gs.Serve(l) }()
	return l.Addr().String(), gs.Stop, nil
}
