package loadtest_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/martyedge/security/internal/loadtest"
	"github.com/martyedge/security/internal/redistest"
	"github.com/martyedge/security/pkg/config"
)

// TestCompare runs a very short comparison in process: both servers must
// answer, the real one on its allow path, and every phase must report.
func TestCompare(t *testing.T) {
	cfg, err := config.Load("../../examples/quickstart/config.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep, err := loadtest.Compare(t.Context(), loadtest.Options{
		Config: cfg, Roles: []string{"admin"}, Permission: "orders:read",
		Workers: 4, Conns: 2, Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond,
	}, &out)
	if err != nil {
		t.Fatalf("Compare: %v\n%s", err, out.String())
	}
	for name, r := range map[string]loadtest.Result{"noop": rep.Noop, "real": rep.Real, "noop half": rep.NoopHalfLoad, "real half": rep.HalfLoad} {
		if r.Requests == 0 || r.Errors != 0 || r.Denied != 0 || r.P50 <= 0 || r.P99 < r.P50 {
			t.Errorf("%s: implausible result %+v", name, r)
		}
	}
	if rep.ThroughputRatio <= 0 {
		t.Errorf("ratio = %v", rep.ThroughputRatio)
	}
	if !strings.Contains(out.String(), "throughput ratio") {
		t.Errorf("no ratio printed:\n%s", out.String())
	}
}

// TestCompareDetectsDenials points the load at a permission the token does
// not hold: a run that never exercised the allow path must fail, not
// report a meaningless figure.
func TestCompareDetectsDenials(t *testing.T) {
	cfg, err := config.Load("../../examples/quickstart/config.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = loadtest.Compare(t.Context(), loadtest.Options{
		Config: cfg, Roles: []string{"viewer"}, Permission: "admin:access",
		Workers: 2, Conns: 1, Warmup: 10 * time.Millisecond, Duration: 100 * time.Millisecond,
	}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "denied") {
		t.Fatalf("Compare = %v, want an error about denials", err)
	}
}

// TestCompareWithRedisSessions: with a Redis address the real server keeps
// its sessions there and the load goes through a session-bound token.
func TestCompareWithRedisSessions(t *testing.T) {
	redis := redistest.Start(t)
	cfg, err := config.Load("../../examples/quickstart/config.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Budgets for -race on a shared machine, not for production.
	cfg.Sessions.Timeout = time.Second
	cfg.Sessions.Redis.ReadTimeout, cfg.Sessions.Redis.WriteTimeout = time.Second, time.Second
	var out strings.Builder
	rep, err := loadtest.Compare(t.Context(), loadtest.Options{
		Config: cfg, Roles: []string{"admin"}, Permission: "orders:read", RedisAddr: redis.Addr(),
		Workers: 2, Conns: 1, Warmup: 20 * time.Millisecond, Duration: 200 * time.Millisecond,
	}, &out)
	if err != nil {
		t.Fatalf("Compare: %v\n%s", err, out.String())
	}
	if rep.Real.Requests == 0 || !strings.Contains(out.String(), "sessions in Redis") {
		t.Errorf("no session-bound load ran:\n%s", out.String())
	}
	if cfg.Sessions.Store != config.StoreMemory {
		t.Errorf("Compare changed the caller's config: sessions.store = %q", cfg.Sessions.Store)
	}
}
