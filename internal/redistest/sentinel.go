package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

// Shape of the deployment StartSentinel runs.
const (
	// sentinels: more than one, so that clients are tested with a list of
	// Sentinels and a test can stop one. The quorum is 1: each alone may
	// declare the master down, so none waits for the others to meet.
	sentinels = 2
	// sentinelDownAfter is how long the master must be silent before a
	// Sentinel flags it down: short, so that a test watching for it does
	// not sit through the default 30 s.
	sentinelDownAfter = time.Second
)

// Sentinel is a master redis-server watched by Sentinel processes
// (redis-server --sentinel), all on loopback. There is no replica, so
// Sentinel serves discovery only: a failover it starts aborts and the
// master keeps its address, also across Master().Restart().
type Sentinel struct {
	name      string
	master    *Server
	sentinels []*Server
}

// StartSentinel starts a master and the Sentinels monitoring it under
// masterName, and waits until every Sentinel names the master and is
// connected to it. Every process is stopped when the test ends.
func StartSentinel(tb testing.TB, masterName string) *Sentinel {
	tb.Helper()
	if masterName == "" || strings.ContainsFunc(masterName, unicode.IsSpace) {
		tb.Fatalf("redistest: master name %q is empty or has spaces", masterName)
	}
	st := &Sentinel{name: masterName, master: Start(tb)}
	host, port, err := net.SplitHostPort(st.master.Addr())
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	// Registered after the master's, the Sentinels' cleanups run first:
	// they do not watch the master go down at the end of the test.
	conf := fmt.Sprintf("sentinel monitor %[1]s %[2]s %[3]s 1\nsentinel down-after-milliseconds %[1]s %[4]d\n",
		masterName, host, port, sentinelDownAfter.Milliseconds())
	st.sentinels = make([]*Server, sentinels)
	errs := make([]error, sentinels)
	var wg sync.WaitGroup
	for i := range st.sentinels {
		s := newServer(tb, false)
		// Sentinel rewrites the file (its id, the other Sentinels), so
		// each has its own, which a Restart keeps.
		s.sentinelConf = filepath.Join(s.dir, "sentinel.conf")
		if err := os.WriteFile(s.sentinelConf, []byte(conf), 0o600); err != nil {
			tb.Fatalf("redistest: %v", err)
		}
		st.sentinels[i] = s
		wg.Go(func() { errs[i] = s.startFresh() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatalf("redistest: sentinel: %v", err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := st.waitReady(ctx); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return st
}

// Addrs returns the address of every Sentinel: what a client configured
// for Sentinel takes as its addresses.
func (st *Sentinel) Addrs() []string {
	out := make([]string, len(st.sentinels))
	for i, s := range st.sentinels {
		out[i] = s.Addr()
	}
	return out
}

// MasterName returns the name the Sentinels know the master by.
func (st *Sentinel) MasterName() string { return st.name }

// Master returns the master, e.g. to restart it.
func (st *Sentinel) Master() *Server { return st.master }

// Sentinels returns the Sentinel processes, e.g. to stop one.
func (st *Sentinel) Sentinels() []*Server { return st.sentinels }

// waitReady waits until every Sentinel answers with the master's address
// and has flagged it neither down nor disconnected.
func (st *Sentinel) waitReady(ctx context.Context) error {
	want := st.master.Addr()
	for _, s := range st.sentinels {
		for {
			master, flags, err := st.view(ctx, s.Addr())
			if err == nil && master == want && flags == "master" {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("sentinel %s does not see master %s up within %s: it says %q, flags %q, error %v",
					s.Addr(), want, readyTimeout, master, flags, err)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// view returns what the Sentinel at addr says of the master: its address
// and its flags ("master" when up and connected).
func (st *Sentinel) view(ctx context.Context, addr string) (master, flags string, err error) {
	hostPort, err := commandList(ctx, addr, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", st.name)
	if err != nil {
		return "", "", err
	}
	if len(hostPort) != 2 {
		return "", "", fmt.Errorf("SENTINEL GET-MASTER-ADDR-BY-NAME %s = %q", st.name, hostPort)
	}
	master = net.JoinHostPort(hostPort[0], hostPort[1])
	fields, err := commandList(ctx, addr, "SENTINEL", "MASTER", st.name)
	if err != nil {
		return master, "", err
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i] == "flags" {
			return master, fields[i+1], nil
		}
	}
	return master, "", fmt.Errorf("SENTINEL MASTER %s has no flags: %q", st.name, fields)
}
