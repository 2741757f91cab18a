package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clusterTimeout bounds creating a cluster and waiting for it to be ok.
const clusterTimeout = 60 * time.Second

// Cluster is a Redis Cluster of masters only, on loopback.
type Cluster struct {
	nodes []*Server
}

// StartCluster starts masters redis-server nodes in cluster mode (at least
// 3, as redis-cli requires), joins them with redis-cli --cluster create,
// and waits until every node reports cluster_state:ok and knows every
// other. Every node is stopped when the test ends.
func StartCluster(tb testing.TB, masters int) *Cluster {
	tb.Helper()
	if masters < 3 {
		tb.Fatalf("redistest: a cluster needs at least 3 masters, got %d", masters)
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		tb.Fatal(missingCLI)
	}
	c := &Cluster{nodes: make([]*Server, masters)}
	errs := make([]error, masters)
	var wg sync.WaitGroup
	for i := range c.nodes {
		c.nodes[i] = newServer(tb, true)
		wg.Go(func() { errs[i] = c.nodes[i].startFresh() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatalf("redistest: %v", err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redistest: redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err := c.waitOK(ctx); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return c
}

// Addrs returns the address of every node.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.Addr()
	}
	return out
}

// Nodes returns the nodes, e.g. to stop one.
func (c *Cluster) Nodes() []*Server { return c.nodes }

func (c *Cluster) waitOK(ctx context.Context) error {
	want := "cluster_known_nodes:" + strconv.Itoa(len(c.nodes))
	for _, n := range c.nodes {
		for {
			info, err := command(ctx, n.Addr(), "CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, want) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("cluster node %s not ok within %s: %v\n%s", n.Addr(), clusterTimeout, err, info)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}
