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
	"strings"
	"time"

	"github.com/martyedge/security/pkg/admin"
	"github.com/martyedge/security/pkg/config"
	"github.com/martyedge/security/pkg/server"
	"github.com/martyedge/security/pkg/session"
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
		return mint(ctx, env, args)
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
	session.RouteRedisLogs(log)
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	l, err := server.Listen(ctx, cfg)
	if err != nil {
		return err
	}
	return srv.Serve(ctx, l)
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

// login creates a real session in the shared store and prints a token
// for it signed by the issuing keys, as the admin API's CreateSession does:
// the running servers see the session at once and can revoke it.
func login(ctx context.Context, env Env, cfg *config.Config, sess *session.Session, lifetime time.Duration) error {
	ring, err := token.NewKeyRing(*cfg.Issuing)
	if err != nil {
		return fmt.Errorf("issuing: %w", err)
	}
	store, err := session.NewRedisStore(ctx, cfg.Sessions.Redis)
	if err != nil {
		return fmt.Errorf("sessions.redis: %w", err)
	}
	defer store.Close()
	now := time.Now()
	idle := cfg.AdminAPI.Sessions.DefaultIdleTimeout
	if idle == 0 {
		idle = admin.DefaultSessionIdleTimeout
	}
	sess.ID = session.NewID(sess.Subject)
	sess.CreatedAt, sess.LastSeen, sess.IdleTimeout, sess.ExpiresAt = now, now, min(idle, lifetime), now.Add(lifetime)
	issued, err := admin.Login(ctx, store, ring, sess, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "session created (expires %s, token expires %s)\n", sess.ExpiresAt.Format(time.RFC3339), issued.ExpiresAt.Format(time.RFC3339))
	fmt.Fprintln(env.Stdout, issued.Token)
	return nil
}

func mint(ctx context.Context, env Env, args []string) error {
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
	var roleList []string
	for r := range strings.SplitSeq(*roles, ",") {
		if r = strings.TrimSpace(r); r != "" {
			roleList = append(roleList, r)
		}
	}
	if cfg.Sessions.Store == config.StoreRedis && cfg.Issuing != nil {
		if *sid != "" {
			fmt.Fprintln(env.Stderr, "extauthz token: --sid cannot be used with a session store: a new session is created")
			return errUsage
		}
		return login(ctx, env, cfg, &session.Session{Subject: *sub, Roles: roleList, Tenant: *tenant}, *ttl)
	}
	if cfg.Authn.Signing == nil {
		return fmt.Errorf("%s has no authn.signing key: the token command mints development tokens with it", cfg.Path)
	}
	signer, err := token.NewSigner(*cfg.Authn.Signing)
	if err != nil {
		return fmt.Errorf("authn.signing: %w", err)
	}
	tok, err := signer.Mint(time.Now(), token.MintClaims{Subject: *sub, Roles: roleList, Tenant: *tenant, SessionID: *sid, TTL: *ttl})
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, tok)
	return nil
}
