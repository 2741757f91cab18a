package session

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// RouteRedisLogs sends go-redis's own log lines (dial failures, pool
// errors) to l as structured warnings instead of unstructured lines on
// stderr. go-redis keeps one logger per process, so this changes process
// state: call it once, from the command's start-up, not from libraries.
func RouteRedisLogs(l *slog.Logger) {
	redis.SetLogger(redisLogger{l: l.With("component", "go-redis")})
}

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, fmt.Sprintf(format, v...))
}
