package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/martyedge/security/internal/redistest"
)

// Bounds on everything the integration test waits for. Generous: a CI
// machine running the race detector on two cores is slow.
const (
	buildTimeout = 10 * time.Minute // go build of the service, cold cache
	readyTimeout = 30 * time.Second // start to gRPC health SERVING
	stopTimeout  = 5 * time.Second  // SIGTERM to exit, then SIGKILL
	callTimeout  = 10 * time.Second // one ShouldRateLimit call
	startRetries = 3                // fresh ports when one was taken
	servicePkg   = "github.com/envoyproxy/ratelimit/src/service_cmd"
	healthName   = "ratelimit"      // the service's gRPC health service name
	runtimeSub   = "ratelimit"      // RUNTIME_SUBDIRECTORY
	configName   = "ratelimit.yaml" // under RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/config
)

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// TestMain removes the service binary built by the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildBin != "" {
		_ = os.RemoveAll(filepath.Dir(buildBin))
	}
	os.Exit(code)
}

// serviceBinary builds envoyproxy/ratelimit's server once per test binary,
// at the version pinned in this module's go.mod.
func serviceBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ratelimit-bin-")
		if err != nil {
			buildErr = err
			return
		}
		// The binary serves every test of the package; TestMain removes it.
		buildBin = filepath.Join(dir, "ratelimit")
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		start := time.Now()
		// In this package's directory, so this module's go.mod (and the
		// pinned version) decides.
		out, err := exec.CommandContext(ctx, "go", "build", "-o", buildBin, servicePkg).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build %s: %v\n%s", servicePkg, err, out)
			return
		}
		t.Logf("built %s in %s", servicePkg, time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// service is a running envoyproxy/ratelimit with its own redis-server.
type service struct {
	client rlsv3.RateLimitServiceClient
	redis  string // the Redis address, to read counters
	domain string
}

// startService runs the service on free loopback ports with config as its
// only configuration file, and waits until its gRPC health says SERVING,
// which (with HEALTHY_WITH_AT_LEAST_ONE_CONFIG_LOADED) means the
// configuration loaded. Both processes stop when the test ends.
func startService(t *testing.T, domain string, config []byte) *service {
	t.Helper()
	if testing.Short() {
		t.Skip("starts envoyproxy/ratelimit and redis-server")
	}
	bin := serviceBinary(t)
	redis := redistest.Start(t)

	root := t.TempDir()
	cfgDir := filepath.Join(root, runtimeSub, "config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, configName), config, 0o644); err != nil {
		t.Fatal(err)
	}

	var lastErr error
	for range startRetries {
		addr, err := run(t, bin, root, redis.Addr())
		if errors.Is(err, errBind) {
			lastErr = err
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return &service{client: rlsv3.NewRateLimitServiceClient(conn), redis: redis.Addr(), domain: domain}
	}
	t.Fatalf("envoyproxy/ratelimit: no free ports after %d tries: %v", startRetries, lastErr)
	return nil
}

var errBind = errors.New("address already in use")

// run starts one process and returns its gRPC address once healthy.
func run(t *testing.T, bin, root, redisAddr string) (string, error) {
	t.Helper()
	ports, err := freePorts(3)
	if err != nil {
		return "", err
	}
	grpcAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	out := &redistest.SyncBuffer{}
	cmd := exec.Command(bin)
	// A clean environment: the service reads ~120 variables, and the
	// machine running the test must not change what it does.
	cmd.Env = []string{
		"RUNTIME_ROOT=" + root,
		"RUNTIME_SUBDIRECTORY=" + runtimeSub,
		"RUNTIME_WATCH_ROOT=false",
		"RUNTIME_IGNOREDOTFILES=true",
		"HEALTHY_WITH_AT_LEAST_ONE_CONFIG_LOADED=true",
		"USE_STATSD=false",
		"DISABLE_STATS=true",
		"REDIS_SOCKET_TYPE=tcp",
		"REDIS_TYPE=SINGLE",
		"REDIS_URL=" + redisAddr,
		"GRPC_HOST=127.0.0.1", "GRPC_PORT=" + strconv.Itoa(ports[0]),
		"HOST=127.0.0.1", "PORT=" + strconv.Itoa(ports[1]),
		"DEBUG_HOST=127.0.0.1", "DEBUG_PORT=" + strconv.Itoa(ports[2]),
		"LOG_LEVEL=info",
		"LOG_FORMAT=json",
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(done)
	}()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("envoyproxy/ratelimit output:\n%s", out)
		}
	})

	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	for {
		select {
		case <-done:
			if strings.Contains(strings.ToLower(out.String()), "address already in use") {
				return "", errBind
			}
			return "", fmt.Errorf("envoyproxy/ratelimit exited before it was healthy (%v):\n%s", waitErr, out)
		case <-ctx.Done():
			return "", fmt.Errorf("envoyproxy/ratelimit not SERVING within %s:\n%s", readyTimeout, out)
		case <-time.After(50 * time.Millisecond):
		}
		callCtx, callCancel := context.WithTimeout(ctx, time.Second)
		resp, err := health.Check(callCtx, &healthpb.HealthCheckRequest{Service: healthName})
		callCancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return grpcAddr, nil
		}
	}
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		defer l.Close() // all held until return, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
