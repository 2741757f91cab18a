package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	"github.com/martyedge/security/pkg/token"
	authzv1 "github.com/martyedge/security/proto/marty/authz/v1"
)

// revocationSlack is added to the ring's TokenTTL to get how long a
// subject's not-before is kept: a token issued just before a revocation is
// still accepted by a Verifier up to its leeway after exp, and 5 minutes is
// the largest leeway token.Config allows.
const revocationSlack = 5 * time.Minute

// Service implements marty.authz.v1.SessionService. Install
// UnaryInterceptor on the server that registers it.
type Service struct {
	authzv1.UnimplementedSessionServiceServer

	store    Store
	keys     *token.KeyRing
	sessions SessionConfig
	auth     *authenticator
	now      func() time.Time
	logger   *slog.Logger
}

var _ authzv1.SessionServiceServer = (*Service)(nil)

// Option customises a Service.
type Option func(*options)

type options struct {
	now    func() time.Time
	logger *slog.Logger
}

// WithClock sets the clock for session times and token iat/exp (default
// time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithLogger sets the logger for refused calls, changes (subject and
// caller, never session ids or tokens) and internal errors (default:
// discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// New validates cfg (on a copy) and reads the admin token file. It refuses
// a Config with no authentication method, and a nil store or key ring.
func New(cfg Config, store Store, keys *token.KeyRing, opts ...Option) (*Service, error) {
	o := options{now: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	if store == nil || keys == nil {
		return nil, errors.New("admin: a session store and a key ring are required")
	}
	if cfg.Auth.TLS != nil {
		t := *cfg.Auth.TLS
		cfg.Auth.TLS = &t
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid admin config: %w", err)
	}
	auth, err := newAuthenticator(cfg.Auth)
	if err != nil {
		return nil, err
	}
	return &Service{
		store:    store,
		keys:     keys,
		sessions: cfg.Sessions,
		auth:     auth,
		now:      o.now,
		logger:   o.logger,
	}, nil
}

// Register registers the service on r (a *grpc.Server).
func (s *Service) Register(r grpc.ServiceRegistrar) {
	authzv1.RegisterSessionServiceServer(r, s)
}
