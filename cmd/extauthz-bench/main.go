// Command extauthz-bench measures the extauthz server against a no-op Check
// server built from the same gRPC stack, in one run, and prints requests/s
// and latency percentiles for both. See the README's benchmark section.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/martyedge/security/internal/loadtest"
	"github.com/martyedge/security/pkg/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "extauthz-bench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfgPath := flag.String("config", "examples/quickstart/config.yaml", "extauthz configuration (needs authn.signing)")
	roles := flag.String("roles", "admin", "roles of the minted token (admin is unlimited by the quick-start per-user limits, so the run measures the decision, not 429s)")
	perm := flag.String("permission", "orders:read", "permission the request requires")
	workers := flag.Int("concurrency", 32, "concurrent in-flight Checks in the closed loop")
	conns := flag.Int("conns", 2, "gRPC connections, as Envoy keeps a few per host")
	warmup := flag.Duration("warmup", 2*time.Second, "warm-up before each measurement")
	duration := flag.Duration("duration", 10*time.Second, "measurement time of each phase")
	inProcess := flag.Bool("in-process", false, "run the servers inside this process instead of child processes")
	redisAddr := flag.String("redis", "", "Redis address: keep extauthz's sessions there and send a session-bound token (one Redis round trip per Check)")
	serve := flag.String("serve", "", "internal: serve one backend (extauthz or noop) for a parent run")
	flag.Parse()
	cfg, err := config.Load(*cfgPath, os.Environ())
	if err != nil {
		return err
	}
	cfg.Log.Level = "error"
	if *serve != "" {
		return loadtest.Serve(ctx, *serve, cfg, os.Stdout)
	}
	opts := loadtest.Options{
		Config: cfg, Roles: strings.Split(*roles, ","), Permission: *perm,
		Workers: *workers, Conns: *conns, Warmup: *warmup, Duration: *duration,
		RedisAddr: *redisAddr,
	}
	if !*inProcess {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		opts.Spawn = []string{self, "--config", *cfgPath}
	}
	_, err = loadtest.Compare(ctx, opts, os.Stdout)
	return err
}
