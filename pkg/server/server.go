// Package server wires the extauthz process together: the token verifier,
// the policy, the authorization service on a gRPC server with a real health
// service, and the admin HTTP listener; and it owns the shutdown sequence
// (NOT_SERVING first, a drain delay, then a graceful stop bounded by a
// deadline).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/martyedge/security/pkg/authz"
	"github.com/martyedge/security/pkg/config"
	"github.com/martyedge/security/pkg/rbac"
	"github.com/martyedge/security/pkg/token"
)

// AuthorizationService is the gRPC service name Envoy calls, also used as
// the health-check service name.
const AuthorizationService = "envoy.service.auth.v3.Authorization"

// gRPC transport settings. Envoy holds a few long-lived HTTP/2 connections
// to each authz replica and multiplexes every Check over them.
const (
	// maxSendBytes bounds one CheckResponse: headers plus a small JSON body.
	maxSendBytes = 1 << 20
	// keepaliveMinTime is the most frequent client ping we tolerate; Envoy's
	// connection_keepalive is typically 30s or more, but shorter
	// intervals from tuned sidecars must not get the connection killed.
	keepaliveMinTime = 5 * time.Second
	// keepaliveTime / keepaliveTimeout detect dead peers (a vanished node
	// leaves half-open TCP connections behind).
	keepaliveTime    = 30 * time.Second
	keepaliveTimeout = 10 * time.Second
	// maxConnectionAge makes Envoy reconnect now and then, so connections
	// spread over replicas added by an autoscaler; the grace period lets
	// in-flight Checks finish.
	maxConnectionAge      = 30 * time.Minute
	maxConnectionAgeGrace = 30 * time.Second
)

// Server is a configured extauthz process, ready to Serve.
type Server struct {
	cfg      *config.Config
	log      *slog.Logger
	verifier *token.Verifier
	authz    *authz.Service
	grpc     *grpc.Server
	health   *health.Server
	admin    *http.Server
	draining atomic.Bool
}

// New builds the server from a validated configuration. ctx bounds the
// background work (JWKS refresh) for the server's lifetime.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	pol, err := rbac.Load(cfg.Policy, cfg.Environment)
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	ver, err := token.NewVerifier(ctx, cfg.Authn, token.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("authn: %w", err)
	}
	svc, err := authz.NewService(authz.Options{
		Authenticator: ver,
		Policy:        pol,
		Logger:        log,
		Shadow:        cfg.Authz.Shadow,
		ExcludedPaths: cfg.Authz.ExcludedPaths,
		TokenHeader:   cfg.Authz.TokenHeader,
		TokenCookie:   cfg.Authz.TokenCookie,
		Realm:         cfg.Authz.Realm,
		Headers:       authz.IdentityHeaders(cfg.Authz.IdentityHeaders),
	})
	if err != nil {
		ver.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, verifier: ver, authz: svc, health: health.NewServer()}
	s.grpc = NewGRPCServer(cfg.GRPC)
	authv3.RegisterAuthorizationServer(s.grpc, svc)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	if cfg.GRPC.Reflection {
		reflection.Register(s.grpc)
	}
	s.admin = &http.Server{
		Handler:           s.adminHandler(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("policy loaded", "file", cfg.Policy, "version", pol.Version(), "environment", cfg.Environment)
	return s, nil
}

// NewGRPCServer returns a gRPC server with the transport limits and
// keepalive settings the product runs with. The load tool builds its no-op
// baseline from the same function, so the two differ only in the handler.
func NewGRPCServer(c config.GRPC) *grpc.Server {
	return grpc.NewServer(
		grpc.MaxRecvMsgSize(c.MaxRecvBytes),
		grpc.MaxSendMsgSize(maxSendBytes),
		grpc.MaxConcurrentStreams(c.MaxConcurrentStreams),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: keepaliveMinTime, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time:                  keepaliveTime,
			Timeout:               keepaliveTimeout,
			MaxConnectionAge:      maxConnectionAge,
			MaxConnectionAgeGrace: maxConnectionAgeGrace,
		}),
	)
}

// Authz returns the authorization service (for tests and reloads).
func (s *Server) Authz() *authz.Service { return s.authz }

// Serve answers on the two listeners until ctx is cancelled, then shuts
// down gracefully. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, grpcLis, adminLis net.Listener) error {
	defer s.verifier.Close()
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(AuthorizationService, healthpb.HealthCheckResponse_SERVING)

	errc := make(chan error, 2)
	go func() { errc <- s.grpc.Serve(grpcLis) }()
	go func() {
		if err := s.admin.Serve(adminLis); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
			return
		}
		errc <- nil
	}()
	s.log.Info("serving", "grpc", grpcLis.Addr().String(), "admin", adminLis.Addr().String())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		serveErr = fmt.Errorf("listener failed: %w", serveErr)
	}
	s.shutdown()
	return serveErr
}

// shutdown flips health to NOT_SERVING, waits the drain delay while still
// answering, then stops gracefully; Checks still running at the deadline
// are cut off.
func (s *Server) shutdown() {
	s.draining.Store(true)
	s.health.Shutdown()
	s.log.Info("shutting down", "drain_delay", s.cfg.Shutdown.DrainDelay, "timeout", s.cfg.Shutdown.Timeout)
	time.Sleep(s.cfg.Shutdown.DrainDelay)

	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	timer := time.NewTimer(s.cfg.Shutdown.Timeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.log.Warn("graceful stop timed out, closing remaining connections")
		s.grpc.Stop()
		<-done
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.admin.Shutdown(ctx) // only probes are in flight there
	s.log.Info("stopped")
}

func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("content-type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("content-type", "text/plain")
		if err := s.ready(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}

// ready reports whether this replica should receive traffic: not shutting
// down, and every issuer's keys loaded.
func (s *Server) ready() error {
	if s.draining.Load() {
		return errors.New("shutting down")
	}
	return s.verifier.Ready()
}
