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
	"time"

	"github.com/martyedge/security/internal/loadtest"
	"github.com/martyedge/security/pkg/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "extauthz-bench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfgPath := flag.String("config", "examples/quickstart/config.yaml", "extauthz configuration (needs authn.signing)")
	roles := flag.String("roles", "developer", "roles of the minted token")
	perm := flag.String("permission", "orders:read", "permission the request requires")
	workers := flag.Int("concurrency", 32, "concurrent in-flight Checks in the closed loop")
	conns := flag.Int("conns", 2, "gRPC connections, as Envoy keeps a few per host")
	warmup := flag.Duration("warmup", 2*time.Second, "warm-up before each measurement")
	duration := flag.Duration("duration", 10*time.Second, "measurement time of each phase")
	flag.Parse()
	cfg, err := config.Load(*cfgPath, os.Environ())
	if err != nil {
		return err
	}
	_, err = loadtest.Compare(ctx, loadtest.Options{
		Config: cfg, Roles: strings.Split(*roles, ","), Permission: *perm,
		Workers: *workers, Conns: *conns, Warmup: *warmup, Duration: *duration,
	}, os.Stdout)
	return err
}
