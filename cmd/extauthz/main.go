// Command extauthz is the Marty Edge Security external authorization server
// for Envoy (envoy.service.auth.v3.Authorization). See the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/martyedge/security/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.Env{Args: os.Args[1:], Stdout: os.Stdout, Stderr: os.Stderr, Environ: os.Environ()})
	stop()
	os.Exit(code)
}
