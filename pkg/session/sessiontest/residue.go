package sessiontest

import (
	"testing"
	"time"
)

// residueWait bounds how long the suite waits for a store to drop expired
// entries (a sweep, Redis's active expiry) once everything has expired.
const residueWait = 10 * time.Second

// testResidue checks that every entry a store keeps expires: while alive
// each has an expiry (Inspector reports none without), and once every
// lifetime has passed the store holds nothing.
func testResidue(t *testing.T, s Store, c *Clock) {
	in, ok := s.(Inspector)
	if !ok {
		t.Skip("the store does not implement sessiontest.Inspector")
	}
	ctx := t.Context()
	a := login(t, s, c, "alice", "viewer")
	login(t, s, c, "alice")
	login(t, s, c, "bob")
	c.Advance(Granularity + margin)
	lookup(t, s, c, a.ID, "alice", "") // a touch rewrites the session and the index
	if err := s.SetRoles(ctx, a.ID, []string{"admin"}, c.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeSubject(ctx, "carol", c.Now(), Keep); err != nil {
		t.Fatal(err)
	}
	if err := s.DenyToken(ctx, "alice", "jti-1", c.Now().Add(Keep)); err != nil {
		t.Fatal(err)
	}
	n, err := in.Residue(ctx)
	if err != nil {
		t.Fatalf("Residue: %v", err)
	}
	if n == 0 {
		t.Fatalf("Residue = 0 with live sessions; the inspector sees nothing")
	}

	c.Advance(max(Idle, Keep) + margin)
	deadline := time.Now().Add(residueWait)
	for {
		n, err := in.Residue(ctx)
		if err != nil {
			t.Fatalf("Residue: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries still held %s after every lifetime ended", n, residueWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
