package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"

	"github.com/martyedge/security/internal/envoytest"
	"github.com/martyedge/security/pkg/config"
	"github.com/martyedge/security/pkg/server"
	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
)

// Backend names the two servers a comparison runs.
const (
	BackendReal = "extauthz"
	BackendNoop = "noop"
)

// Options configure a comparison run.
type Options struct {
	// Config is the extauthz configuration to serve; it must have
	// authn.signing so the tool can mint an accepted token.
	Config *config.Config
	// Roles and Permission shape the request: a token with Roles calling a
	// route that requires Permission (via context_extensions).
	Roles      []string
	Permission string
	Workers    int
	Conns      int
	Warmup     time.Duration
	Duration   time.Duration
	// Spawn, when set, starts each server in its own process by running
	// this command with "--serve BACKEND" appended (the load tool re-runs
	// itself), so the servers' garbage collection and scheduling are not
	// mixed with the load generator's. Empty runs them in this process.
	Spawn []string
	// RedisAddr, when set, runs extauthz with its sessions in that Redis and
	// sends a token bound to a session created there: every Check then
	// makes one Redis round trip.
	RedisAddr string
}

// Report is the outcome of Compare.
type Report struct {
	Noop, Real      Result // closed loop: capacity
	NoopHalfLoad    Result // open loop on the no-op server at the same rate
	HalfLoad        Result // open loop on the real server at half its capacity
	ThroughputRatio float64
}

// Compare measures, in one run, the closed-loop capacity of a no-op Check
// server built from the same gRPC stack (the ceiling) and of the real
// server on the cached-token allow path, then both servers' latency
// open-loop at half of the real server's capacity. Progress goes to w.
func Compare(ctx context.Context, o Options, w io.Writer) (Report, error) {
	var rep Report
	if o.Config.Authn.Signing == nil {
		return rep, fmt.Errorf("%s has no authn.signing: the load tool mints its token with it", o.Config.Path)
	}
	signer, err := token.NewSigner(*o.Config.Authn.Signing)
	if err != nil {
		return rep, fmt.Errorf("authn.signing: %w", err)
	}
	claims := token.MintClaims{Subject: "load-test", Roles: o.Roles, TTL: time.Hour}
	var childEnv []string
	if o.RedisAddr != "" {
		cfg := *o.Config
		cfg.Sessions.Store, cfg.Sessions.Redis.Addrs = config.StoreRedis, []string{o.RedisAddr}
		if claims.SessionID, err = createSession(ctx, &cfg, claims); err != nil {
			return rep, err
		}
		o.Config = &cfg
		childEnv = []string{config.EnvPrefix + "SESSIONS_STORE=redis", config.EnvPrefix + "SESSIONS_REDIS_ADDRS=" + o.RedisAddr}
	}
	tok, err := signer.Mint(time.Now(), claims)
	if err != nil {
		return rep, err
	}
	req := envoytest.Request("GET", "/api/orders?limit=20", envoytest.Bearer(tok),
		envoytest.Extensions(map[string]string{"permission": o.Permission}))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := func(backend string) (*process, error) {
		if len(o.Spawn) > 0 {
			return spawn(ctx, o.Spawn, backend, childEnv)
		}
		addr, stop, err := startInProcess(ctx, backend, o.Config)
		return &process{addr: addr, stop: stop}, err
	}
	realProc, err := start(BackendReal)
	if err != nil {
		return rep, err
	}
	defer realProc.stop()
	noopProc, err := start(BackendNoop)
	if err != nil {
		return rep, err
	}
	defer noopProc.stop()
	if o.RedisAddr != "" {
		fmt.Fprintf(w, "sessions in Redis at %s: one round trip per Check\n", o.RedisAddr)
	}
	where := "in this process"
	if len(o.Spawn) > 0 {
		where = "each in its own process"
	}
	real, noop := Target{Addr: realProc.addr, Conns: o.Conns}, Target{Addr: noopProc.addr, Conns: o.Conns}
	closed := func(p *process, t Target) (Result, error) {
		return p.measure(func() (Result, error) { return ClosedLoop(ctx, t, req, o.Workers, o.Warmup, o.Duration) })
	}
	open := func(p *process, t Target, rate float64) (Result, error) {
		return p.measure(func() (Result, error) { return OpenLoop(ctx, t, req, rate, 4*o.Workers, o.Warmup, o.Duration) })
	}

	fmt.Fprintf(w, "servers %s; closed loop: %d workers over %d connections, %s warm-up + %s each\n", where, o.Workers, o.Conns, o.Warmup, o.Duration)
	if rep.Noop, err = closed(noopProc, noop); err != nil {
		return rep, err
	}
	fmt.Fprintf(w, "  no-op server   %s\n", rep.Noop)
	if rep.Real, err = closed(realProc, real); err != nil {
		return rep, err
	}
	fmt.Fprintf(w, "  extauthz       %s\n", rep.Real)
	if rep.Noop.RPS() > 0 {
		rep.ThroughputRatio = rep.Real.RPS() / rep.Noop.RPS()
	}
	fmt.Fprintf(w, "  throughput ratio extauthz/no-op: %.2f\n", rep.ThroughputRatio)
	if rep.Noop.ServerCPU > 0 {
		fmt.Fprintf(w, "  server CPU per Check extauthz/no-op: %.2f\n", float64(rep.Real.ServerCPU)/float64(rep.Noop.ServerCPU))
	}
	// A few denials under load are a finding (a session lookup that
	// overran its timeout answers 503) and are printed; more than 1% means
	// the run did not measure the allow path at all.
	if bad := rep.Real.Denied + rep.Real.Errors; bad*100 > rep.Real.Requests {
		return rep, fmt.Errorf("the allow path was not exercised: %d denied, %d errors (first: %s)", rep.Real.Denied, rep.Real.Errors, rep.Real.FirstError)
	} else if bad > 0 {
		fmt.Fprintf(w, "  note: %d of %d Checks were denied or failed under load\n", bad, rep.Real.Requests)
	}

	half := rep.Real.RPS() / 2
	fmt.Fprintf(w, "open loop at half of extauthz capacity (%.0f req/s):\n", half)
	if rep.NoopHalfLoad, err = open(noopProc, noop, half); err != nil {
		return rep, err
	}
	fmt.Fprintf(w, "  no-op server   %s\n", rep.NoopHalfLoad)
	if rep.HalfLoad, err = open(realProc, real, half); err != nil {
		return rep, err
	}
	fmt.Fprintf(w, "  extauthz       %s\n", rep.HalfLoad)
	return rep, nil
}

// Serve runs one backend on a loopback port, prints "listening ADDR" on w,
// and serves until ctx ends. It is the child side of Options.Spawn.
func Serve(ctx context.Context, backend string, cfg *config.Config, w io.Writer) error {
	addr, stop, err := startInProcess(ctx, backend, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "listening %s\n", addr)
	<-ctx.Done()
	return stop()
}

// process is a running backend: its address, how to stop it, and, when it
// runs in its own process, its pid for CPU accounting.
type process struct {
	addr string
	stop func() error
	pid  int
}

// measure runs a load phase and, for a separate process, adds the server's
// CPU time per completed call to the result.
func (p *process) measure(phase func() (Result, error)) (Result, error) {
	before, cpuErr := processCPU(p.pid)
	r, err := phase()
	if err != nil || cpuErr != nil || r.Completed == 0 {
		return r, err
	}
	if after, err := processCPU(p.pid); err == nil {
		r.ServerCPU = (after - before) / time.Duration(r.Completed)
	}
	return r, nil
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// processCPU returns the user+system CPU time of pid from /proc.
func processCPU(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, errors.New("not a separate process")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name, which may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("unexpected /proc stat format")
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// spawn starts a child process serving backend and waits for its address.
func spawn(ctx context.Context, command []string, backend string, env []string) (*process, error) {
	cmd := exec.CommandContext(ctx, command[0], append(command[1:], "--serve", backend)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s server: %w", backend, err)
	}
	p := &process{pid: cmd.Process.Pid, stop: func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		return nil
	}}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		_ = p.stop()
		return nil, fmt.Errorf("%s server did not report its address (got %q): %v", backend, line, err)
	}
	p.addr = addr
	return p, nil
}

func startInProcess(ctx context.Context, backend string, cfg *config.Config) (string, func() error, error) {
	switch backend {
	case BackendReal:
		return startReal(ctx, cfg)
	case BackendNoop:
		return startNoop(cfg.GRPC)
	default:
		return "", nil, fmt.Errorf("unknown backend %q", backend)
	}
}

func startReal(ctx context.Context, cfg *config.Config) (string, func() error, error) {
	ctx, cancel := context.WithCancel(ctx)
	srv, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		return "", nil, err
	}
	loopback := *cfg
	loopback.Listen.GRPC, loopback.Listen.Admin, loopback.AdminAPI.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	l, err := server.Listen(ctx, &loopback)
	if err != nil {
		cancel()
		return "", nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	stop := func() error {
		cancel()
		return <-done
	}
	return l.GRPC.Addr().String(), stop, nil
}

// noop answers every Check with OK and nothing else: the ceiling of what
// this gRPC stack can do on this machine.
type noop struct {
	authv3.UnimplementedAuthorizationServer
}

func (noop) Check(context.Context, *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	return &authv3.CheckResponse{Status: &rpcstatus.Status{}}, nil
}

func startNoop(c config.GRPC) (string, func() error, error) {
	gs := server.NewGRPCServer(c)
	authv3.RegisterAuthorizationServer(gs, noop{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	done := make(chan error, 1)
	go func() { done <- gs.Serve(l) }()
	stop := func() error {
		gs.Stop()
		if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	}
	return l.Addr().String(), stop, nil
}

// createSession stores the load test's session in the configured Redis and
// returns its id, for the token's sid claim.
func createSession(ctx context.Context, cfg *config.Config, c token.MintClaims) (string, error) {
	if err := cfg.Sessions.Redis.Validate(); err != nil {
		return "", fmt.Errorf("sessions.redis: %w", err)
	}
	store, err := session.NewRedisStore(ctx, cfg.Sessions.Redis)
	if err != nil {
		return "", err
	}
	defer store.Close()
	now := time.Now()
	s := &session.Session{Subject: c.Subject, Roles: c.Roles, CreatedAt: now, LastSeen: now,
		IdleTimeout: time.Hour, ExpiresAt: now.Add(c.TTL)}
	if err := store.Create(ctx, s); err != nil {
		return "", err
	}
	return s.ID, nil
}
