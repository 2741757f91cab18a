package redistest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestStartAnswersAndStops(t *testing.T) {
	t.Parallel()
	s := Start(t)
	if got, err := command(t.Context(), s.Addr(), "PING"); err != nil || got != "PONG" {
		t.Fatalf("PING = %q, %v; want PONG", got, err)
	}
	// Persistence is off: a test server never writes to disk.
	for param, want := range map[string]string{"save": "", "appendonly": "no"} {
		c := redis.NewClient(&redis.Options{Addr: s.Addr()})
		got, err := c.ConfigGet(t.Context(), param).Result()
		_ = c.Close()
		if err != nil || got[param] != want {
			t.Errorf("CONFIG GET %s = %q, %v; want %q", param, got[param], err, want)
		}
	}
	s.Stop()
	if _, err := command(t.Context(), s.Addr(), "PING"); err == nil {
		t.Fatal("PING answered after Stop")
	}
	s.Stop() // idempotent
}

func TestRestartKeepsAddress(t *testing.T) {
	t.Parallel()
	s := Start(t)
	addr := s.Addr()
	if _, err := command(t.Context(), addr, "SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	if s.Addr() != addr {
		t.Fatalf("Addr after Restart = %s, want %s", s.Addr(), addr)
	}
	if got, err := command(t.Context(), addr, "PING"); err != nil || got != "PONG" {
		t.Fatalf("PING after Restart = %q, %v", got, err)
	}
	// No persistence: the data did not survive.
	if got, err := command(t.Context(), addr, "EXISTS", "k"); err != nil || got != "0" {
		t.Fatalf("EXISTS k after Restart = %q, %v; want 0", got, err)
	}
}

func TestStartClusterServesEverySlot(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, 3)
	if n := len(c.Addrs()); n != 3 {
		t.Fatalf("%d addrs, want 3", n)
	}
	for _, a := range c.Addrs() {
		info, err := command(t.Context(), a, "CLUSTER", "INFO")
		if err != nil || !strings.Contains(info, "cluster_slots_assigned:16384") {
			t.Fatalf("CLUSTER INFO on %s: %v\n%s", a, err, info)
		}
	}
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = client.Close() })
	for i := range 100 {
		k := fmt.Sprintf("key-%d", i)
		if err := client.Set(t.Context(), k, i, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	var masters atomic.Int32 // ForEachMaster runs fn concurrently
	err := client.ForEachMaster(t.Context(), func(ctx context.Context, m *redis.Client) error {
		n, err := m.DBSize(ctx).Result()
		if n > 0 {
			masters.Add(1)
		}
		return err
	})
	if err != nil || masters.Load() != 3 {
		t.Fatalf("keys on %d masters (err %v), want 3", masters.Load(), err)
	}
}
