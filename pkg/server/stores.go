package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/martyedge/security/pkg/admin"
	"github.com/martyedge/security/pkg/authz"
	"github.com/martyedge/security/pkg/config"
	"github.com/martyedge/security/pkg/ratelimit"
	"github.com/martyedge/security/pkg/session"
)

// sessionStore is what the server needs of a store: the Check-time lookup
// and a way to release it at shutdown.
type sessionStore interface {
	admin.Store // includes Lookup, used by every Check
	Close() error
}

// newSessionStore builds the configured store. The in-memory store keeps
// sessions in this process only: fine for one replica, wrong for several,
// so it says so at start.
func newSessionStore(ctx context.Context, c config.Sessions, log *slog.Logger) (sessionStore, error) {
	switch c.Store {
	case config.StoreRedis:
		s, err := session.NewRedisStore(ctx, c.Redis)
		if err != nil {
			return nil, fmt.Errorf("sessions.redis: %w", err)
		}
		log.Info("session store", "store", "redis", "addrs", c.Redis.Addrs, "fail_mode", c.FailMode, "timeout", c.Timeout)
		return s, nil
	default:
		log.Warn("in-memory session store: sessions and revocations are local to this process; configure sessions.store: redis when running more than one replica")
		return session.NewMemoryStore(), nil
	}
}

// rateLimiter is what the server needs of a limiter.
type rateLimiter interface {
	authz.RateLimiter
	Close() error
}

// newRateLimiter builds the configured per-user limiter. In memory, counts
// are per replica: with N replicas a caller gets up to N times its limit.
func newRateLimiter(ctx context.Context, c config.RateLimit, log *slog.Logger) (rateLimiter, error) {
	if c.Store == config.StoreRedis {
		l, err := ratelimit.NewRedisLimiter(ctx, c.Redis)
		if err != nil {
			return nil, fmt.Errorf("rate_limit.redis: %w", err)
		}
		log.Info("rate limiter", "store", "redis", "addrs", c.Redis.Addrs, "fail_mode", c.FailMode, "timeout", c.Timeout)
		return l, nil
	}
	log.Info("rate limiter", "store", "memory", "fail_mode", c.FailMode,
		"note", "counts are per replica; use rate_limit.store: redis with several replicas")
	return ratelimit.NewMemoryLimiter(), nil
}
