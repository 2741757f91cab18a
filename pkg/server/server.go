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
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/martyedge/security/pkg/admin"
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
	sessions sessionStore
	limiter  rateLimiter
	ring     *token.KeyRing // nil without issuing
	registry *prometheus.Registry
	adminAPI *grpc.Server // nil unless admin_api.enabled
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
	var ring *token.KeyRing
	verOpts := []token.Option{token.WithLogger(log)}
	if cfg.Issuing != nil {
		if ring, err = token.NewKeyRing(*cfg.Issuing); err != nil {
			return nil, fmt.Errorf("issuing: %w", err)
		}
		verOpts = append(verOpts, token.WithKeyRing(ring))
	}
	ver, err := token.NewVerifier(ctx, cfg.Authn, verOpts...)
	if err != nil {
		return nil, fmt.Errorf("authn: %w", err)
	}
	store, err := newSessionStore(ctx, cfg.Sessions, log)
	if err != nil {
		ver.Close()
		return nil, err
	}
	limiter, err := newRateLimiter(ctx, cfg.RateLimit, log)
	if err != nil {
		ver.Close()
		_ = store.Close()
		return nil, err
	}
	closeAll := func() {
		ver.Close()
		_ = store.Close()
		_ = limiter.Close()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := authz.NewMetrics(reg)
	if err != nil {
		closeAll()
		return nil, err
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

		Sessions:        store,
		SessionTimeout:  cfg.Sessions.Timeout,
		SessionFailOpen: cfg.Sessions.FailMode == config.FailModeOpen,
		Metrics:         metrics,

		Limiter:         limiter,
		LimitTimeout:    cfg.RateLimit.Timeout,
		LimitFailClosed: cfg.RateLimit.FailMode == config.FailModeClosed,
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, verifier: ver, sessions: store, limiter: limiter, ring: ring, authz: svc, health: health.NewServer(), registry: reg}
	if cfg.AdminAPI.Enabled {
		if s.adminAPI, err = newAdminAPI(cfg, store, ring, log); err != nil {
			closeAll()
			return nil, err
		}
	}
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
func NewGRPCServer(c config.GRPC) *grpc.Server { return newGRPCServer(c) }

func newGRPCServer(c config.GRPC, extra ...grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append([]grpc.ServerOption{
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
	}, extra...)...)
}

// Authz returns the authorization service (for tests and reloads).
func (s *Server) Authz() *authz.Service { return s.authz }

// Listeners are the sockets the server answers on.
type Listeners struct {
	// GRPC serves Authorization/Check and grpc.health.v1.
	GRPC net.Listener
	// Admin serves /healthz, /readyz and, with issuing, the JWKS.
	Admin net.Listener
	// AdminAPI serves the session admin API; required exactly when
	// admin_api.enabled.
	AdminAPI net.Listener
}

// Listen opens the listeners the configuration asks for.
func Listen(ctx context.Context, cfg *config.Config) (Listeners, error) {
	var (
		lc  net.ListenConfig
		l   Listeners
		err error
	)
	closeAll := func() {
		for _, x := range []net.Listener{l.GRPC, l.Admin, l.AdminAPI} {
			if x != nil {
				_ = x.Close()
			}
		}
	}
	if l.GRPC, err = lc.Listen(ctx, "tcp", cfg.Listen.GRPC); err != nil {
		return l, fmt.Errorf("listen.grpc: %w", err)
	}
	if l.Admin, err = lc.Listen(ctx, "tcp", cfg.Listen.Admin); err != nil {
		closeAll()
		return Listeners{}, fmt.Errorf("listen.admin: %w", err)
	}
	if cfg.AdminAPI.Enabled {
		if l.AdminAPI, err = lc.Listen(ctx, "tcp", cfg.AdminAPI.Listen); err != nil {
			closeAll()
			return Listeners{}, fmt.Errorf("admin_api.listen: %w", err)
		}
	}
	return l, nil
}

// Serve answers on the listeners until ctx is cancelled, then shuts down
// gracefully. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, l Listeners) error {
	grpcLis, adminLis := l.GRPC, l.Admin
	if (l.AdminAPI != nil) != (s.adminAPI != nil) {
		return errors.New("the admin API listener must be given exactly when admin_api.enabled")
	}
	defer s.verifier.Close()
	defer func() {
		if err := s.sessions.Close(); err != nil {
			s.log.Warn("closing the session store", "error", err)
		}
		if err := s.limiter.Close(); err != nil {
			s.log.Warn("closing the rate limiter", "error", err)
		}
	}()
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(AuthorizationService, healthpb.HealthCheckResponse_SERVING)

	errc := make(chan error, 3)
	go func() { errc <- s.grpc.Serve(grpcLis) }()
	if s.adminAPI != nil {
		go func() { errc <- s.adminAPI.Serve(l.AdminAPI) }()
		s.log.Info("session admin API serving", "addr", l.AdminAPI.Addr().String())
	}
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
		if s.adminAPI != nil {
			s.adminAPI.GracefulStop()
		}
		s.grpc.GracefulStop()
		close(done)
	}()
	timer := time.NewTimer(s.cfg.Shutdown.Timeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.log.Warn("graceful stop timed out, closing remaining connections")
		if s.adminAPI != nil {
			s.adminAPI.Stop()
		}
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
	if s.ring != nil {
		mux.Handle(admin.JWKSPath, admin.JWKSHandler(s.ring))
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}))
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
