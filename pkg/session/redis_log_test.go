package session

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestRedisLoggerIsStructured(t *testing.T) {
	var buf bytes.Buffer
	r := redisLogger{l: slog.New(slog.NewJSONHandler(&buf, nil)).With("component", "go-redis")}
	r.Printf(t.Context(), "redis: dial %s: %v", "127.0.0.1:1", "connection refused")
	got := buf.String()
	for _, want := range []string{`"level":"WARN"`, `"component":"go-redis"`, `"msg":"redis: dial 127.0.0.1:1: connection refused"`} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %s lacks %s", got, want)
		}
	}
}
