package server

import (
	"fmt"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/martyedge/security/pkg/admin"
	"github.com/martyedge/security/pkg/config"
	"github.com/martyedge/security/pkg/token"
)

// newAdminAPI builds the gRPC server of the session admin API: its own
// port, the same transport limits as the Check server, TLS with client
// certificates when configured, and the admin authentication interceptor
// on every call.
func newAdminAPI(cfg *config.Config, store sessionStore, ring *token.KeyRing, log *slog.Logger) (*grpc.Server, error) {
	svc, err := admin.New(admin.Config{Auth: cfg.AdminAPI.Auth, Sessions: cfg.AdminAPI.Sessions}, store, ring,
		admin.WithLogger(log.With("component", "admin_api")))
	if err != nil {
		return nil, fmt.Errorf("admin_api: %w", err)
	}
	opts := []grpc.ServerOption{grpc.ChainUnaryInterceptor(svc.UnaryInterceptor())}
	if t := cfg.AdminAPI.Auth.TLS; t != nil {
		creds, err := admin.ServerCredentials(*t)
		if err != nil {
			return nil, fmt.Errorf("admin_api.auth.tls: %w", err)
		}
		opts = append(opts, grpc.Creds(creds))
	} else {
		log.Warn("session admin API without TLS: the admin token crosses the network in clear; use admin_api.auth.tls or keep admin_api.listen on loopback")
	}
	gs := newGRPCServer(cfg.GRPC, opts...)
	svc.Register(gs)
	return gs, nil
}
