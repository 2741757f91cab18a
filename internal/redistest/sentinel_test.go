package redistest

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestStartSentinelNamesMaster(t *testing.T) {
	t.Parallel()
	st := StartSentinel(t, "edge")
	if st.MasterName() != "edge" {
		t.Fatalf("MasterName = %q, want edge", st.MasterName())
	}
	if n := len(st.Addrs()); n != sentinels {
		t.Fatalf("%d sentinel addrs, want %d", n, sentinels)
	}
	for _, a := range st.Addrs() {
		if a == st.Master().Addr() {
			t.Fatalf("sentinel address %s is the master's", a)
		}
		got, err := commandList(t.Context(), a, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "edge")
		if err != nil || len(got) != 2 || got[0]+":"+got[1] != st.Master().Addr() {
			t.Fatalf("sentinel %s names master %q, %v; want %s", a, got, err, st.Master().Addr())
		}
		// A name it does not monitor is a null array.
		if got, err := commandList(t.Context(), a, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "other"); err != nil || got != nil {
			t.Fatalf("sentinel %s names master of other = %q, %v; want none", a, got, err)
		}
	}

	// A go-redis client finds the master through the Sentinels, and again
	// after the master restarted.
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "edge", SentinelAddrs: st.Addrs()})
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET through sentinel: %v", err)
	}
	if got, err := command(t.Context(), st.Master().Addr(), "GET", "k"); err != nil || got != "v" {
		t.Fatalf("GET k on the master = %q, %v; want v", got, err)
	}
	st.Master().Restart()
	if err := c.Set(t.Context(), "k", "w", 0).Err(); err != nil {
		t.Fatalf("SET through sentinel after master restart: %v", err)
	}

	for _, s := range st.Sentinels() {
		s.Stop()
		if _, err := command(t.Context(), s.Addr(), "PING"); err == nil {
			t.Fatalf("sentinel %s answered PING after Stop", s.Addr())
		}
	}
}
