// Package cli implements the extauthz command line: serving (the default),
// and the dev-only token subcommand. It is kept out of cmd/ so that it can
// be tested without starting a process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/martyedge/security/pkg/config"
	"github.com/martyedge/security/pkg/server"
	"github.com/martyedge/security/pkg/token"
)

// Env is what the command reads from its process: arguments, output and the
// environment. Tests fill it in by hand.
type Env struct {
	Args    []string // without the program name
	Stdout  io.Writer
	Stderr  io.Writer
	Environ []string
}

// errUsage marks errors already explained to the user by the flag package.
var errUsage = errors.New("usage")

// Run executes the command and returns the process exit code.
func Run(ctx context.Context, env Env) int {
	err := run(ctx, env)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(env.Stderr, "extauthz: %v\n", err)
		return 1
	}
}

func run(ctx context.Context, env Env) error {
	args := env.Args
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, env, args)
	case "token":
		return mint(env, args)
	case "help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	default:
		fmt.Fprintf(env.Stderr, "extauthz: unknown command %q\n%s", cmd, usage)
		return errUsage
	}
}

const usage = `usage:
  extauthz [serve] --config FILE        run the authorization server
  extauthz token --config FILE --sub NAME [--roles a,b] [--tenant T] [--sid ID] [--ttl 1h]
                                        mint a development token with authn.signing
Settings can be overridden with EXTAUTHZ_* environment variables (EXTAUTHZ_CONFIG names the file).
`

func newFlags(env Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("extauthz "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return errUsage
	}
	return nil
}

// loadConfig reads --config, or EXTAUTHZ_CONFIG when the flag is absent.
func loadConfig(env Env, path string) (*config.Config, error) {
	if path == "" {
		for _, kv := range env.Environ {
			if v, ok := strings.CutPrefix(kv, config.EnvConfigFile+"="); ok {
				path = v
			}
		}
	}
	if path == "" {
		return nil, fmt.Errorf("no configuration: pass --config FILE or set %s", config.EnvConfigFile)
	}
	return config.Load(path, env.Environ)
}

func serve(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "serve")
	cfgPath := fs.String("config", "", "configuration file (YAML)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	log := newLogger(env.Stderr, cfg.Log)
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	grpcLis, err := lc.Listen(ctx, "tcp", cfg.Listen.GRPC)
	if err != nil {
		return fmt.Errorf("listen.grpc: %w", err)
	}
	adminLis, err := lc.Listen(ctx, "tcp", cfg.Listen.Admin)
	if err != nil {
		grpcLis.Close()
		return fmt.Errorf("listen.admin: %w", err)
	}
	return srv.Serve(ctx, grpcLis, adminLis)
}

func newLogger(w io.Writer, c config.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func mint(env Env, args []string) error {
	fs := newFlags(env, "token")
	cfgPath := fs.String("config", "", "configuration file (YAML) with authn.signing")
	sub := fs.String("sub", "", "subject (required)")
	roles := fs.String("roles", "", "comma-separated roles")
	tenant := fs.String("tenant", "", "tenant")
	sid := fs.String("sid", "", "session id")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *sub == "" {
		fmt.Fprintln(env.Stderr, "extauthz token: --sub is required")
		return errUsage
	}
	if *ttl <= 0 {
		fmt.Fprintln(env.Stderr, "extauthz token: --ttl must be positive")
		return errUsage
	}
	cfg, err := loadConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	if cfg.Authn.Signing == nil {
		return fmt.Errorf("%s has no authn.signing key: the token command mints development tokens with it", cfg.Path)
	}
	signer, err := token.NewSigner(*cfg.Authn.Signing)
	if err != nil {
		return fmt.Errorf("authn.signing: %w", err)
	}
	var roleList []string
	for r := range strings.SplitSeq(*roles, ",") {
		if r = strings.TrimSpace(r); r != "" {
			roleList = append(roleList, r)
		}
	}
	tok, err := signer.Mint(time.Now(), token.MintClaims{Subject: *sub, Roles: roleList, Tenant: *tenant, SessionID: *sid, TTL: *ttl})
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, tok)
	return nil
}
