package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/martyedge/security/pkg/admin"
	"github.com/martyedge/security/pkg/config"
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
