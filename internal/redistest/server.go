// Package redistest runs real redis-server processes for tests: a single
// node (Start), a Redis Cluster (StartCluster) or a master watched by
// Sentinels (StartSentinel), each on free loopback ports, without
// persistence, stopped in t.Cleanup.
//
// It needs redis-server and redis-cli on PATH; scripts/test.sh installs
// them on Debian.
package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts of process management. Generous: a loaded CI machine running
// tests under the race detector is slow to fork and schedule.
const (
	readyTimeout = 15 * time.Second // start to PING answered
	stopTimeout  = 5 * time.Second  // SIGTERM to exit, then SIGKILL
	startRetries = 5                // fresh ports tried when a bind fails
)

// Messages when a binary is missing: they say how to get it.
const (
	missingServer = "redis-server not found: scripts/test.sh installs it (apt-get install -y redis-server)"
	missingCLI    = "redis-cli not found: scripts/test.sh installs it (apt-get install -y redis-server)"
)

// Server is one redis-server process on 127.0.0.1.
type Server struct {
	tb      testing.TB
	bin     string
	dir     string
	cluster bool
	// sentinelConf is the config file of a Sentinel (redis-server
	// --sentinel); empty for a data node.
	sentinelConf string

	mu      sync.Mutex
	port    int
	busPort int // cluster bus port, when cluster
	proc    *process
}

// process is one run of redis-server.
type process struct {
	cmd  *exec.Cmd
	out  *SyncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // exit status, set before done is closed
}

// Start runs a redis-server on a free loopback port and stops it when the
// test ends. It fails the test if redis-server is missing or never answers.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := newServer(tb, false)
	if err := s.startFresh(); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return s
}

func newServer(tb testing.TB, cluster bool) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatal(missingServer)
	}
	s := &Server{tb: tb, bin: bin, dir: tb.TempDir(), cluster: cluster}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("redis-server %s output:\n%s", s.Addr(), s.output())
		}
		s.Stop()
	})
	return s
}

// Addr returns "127.0.0.1:port".
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "127.0.0.1:" + strconv.Itoa(s.port)
}

// Stop terminates the server (SIGTERM, then SIGKILL) and waits for it to
// exit. It is idempotent; the data is gone (no persistence).
func (s *Server) Stop() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p != nil {
		p.stop()
	}
}

// Restart stops the server if it runs and starts it again on the same
// port, for tests of recovery. It fails the test if the port cannot be
// bound again within the ready timeout.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	deadline := time.Now().Add(readyTimeout)
	for {
		err := s.run()
		if err == nil {
			return
		}
		if !errors.Is(err, errBind) || time.Now().After(deadline) {
			s.tb.Fatalf("redistest: restart %s: %v", s.Addr(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// errBind: redis-server could not listen on its port.
var errBind = errors.New("address already in use")

// startFresh picks free ports and starts; it tries new ports when another
// process took them between picking and binding.
func (s *Server) startFresh() error {
	var err error
	for range startRetries {
		if err = s.pickPorts(); err != nil {
			return err
		}
		if err = s.run(); !errors.Is(err, errBind) {
			return err
		}
	}
	return err
}

func (s *Server) pickPorts() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	bus := 0
	if s.cluster {
		if bus, err = freePort(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.port, s.busPort = port, bus
	s.mu.Unlock()
	return nil
}

func (s *Server) args() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
		"--logfile", "",
		"--loglevel", "warning",
	}
	if s.sentinelConf != "" {
		// Sentinel wants its config file first, and rewrites it.
		a = append([]string{s.sentinelConf, "--sentinel"}, a...)
	}
	if s.cluster {
		a = append(a,
			"--cluster-enabled", "yes",
			"--cluster-config-file", s.dir+"/nodes.conf",
			"--cluster-port", strconv.Itoa(s.busPort),
			"--cluster-node-timeout", "5000",
		)
	}
	return a
}

// run starts the process and waits for PING. A bind failure is errBind.
func (s *Server) run() error {
	out := &SyncBuffer{}
	cmd := exec.Command(s.bin, s.args()...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	p := &process{cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	addr := s.Addr()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		select {
		case <-p.done:
			s.Stop()
			if strings.Contains(out.String(), "Address already in use") {
				return fmt.Errorf("%s: %w", addr, errBind)
			}
			return fmt.Errorf("redis-server on %s exited (%v):\n%s", addr, p.err, out.String())
		case <-ctx.Done():
			s.Stop()
			return fmt.Errorf("redis-server on %s did not answer PING within %s:\n%s", addr, readyTimeout, out.String())
		case <-time.After(10 * time.Millisecond):
		}
		if reply, err := command(ctx, addr, "PING"); err == nil && reply == "PONG" {
			return nil
		}
	}
}

func (s *Server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return "(stopped)"
	}
	return s.proc.out.String()
}

func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// SyncBuffer is a bytes.Buffer safe for the writer goroutines of exec.Cmd
// and a reader: the output of a process a test starts.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
