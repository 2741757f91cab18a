package sessiontest

import (
	"testing"
	"time"

	"github.com/martyedge/security/pkg/session"
)

func testRevokeOne(t *testing.T, s Store, c *Clock) {
	ctx := t.Context()
	a1 := login(t, s, c, "alice")
	a2 := login(t, s, c, "alice")
	if err := s.Revoke(ctx, a1.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if st := lookup(t, s, c, a1.ID, "alice", ""); st.Session != nil {
		t.Errorf("Lookup of a revoked session returned it")
	}
	_, err := s.Get(ctx, a1.ID, c.Now())
	wantErr(t, "Get of a revoked session", err, session.ErrNotFound)
	wantLive(t, lookup(t, s, c, a2.ID, "alice", ""), a2)

	// Idempotent, and unknown ids are fine.
	for _, id := range []string{a1.ID, session.NewID("alice")} {
		if err := s.Revoke(ctx, id); err != nil {
			t.Errorf("Revoke again: %v", err)
		}
	}
}

func testRevokeSubject(t *testing.T, s Store, c *Clock) {
	ctx := t.Context()
	var alice []*session.Session
	for range 3 {
		alice = append(alice, login(t, s, c, "alice"))
	}
	b := login(t, s, c, "bob")

	at := c.Now()
	n, err := s.RevokeSubject(ctx, "alice", at, Keep)
	if err != nil || n != 3 {
		t.Fatalf("RevokeSubject = %d, %v; want 3", n, err)
	}
	for _, a := range alice {
		st := lookup(t, s, c, a.ID, "alice", "")
		if st.Session != nil {
			t.Errorf("a revoked session is still returned")
		}
		if !st.NotBefore.Equal(msTrunc(at)) {
			t.Errorf("NotBefore = %v, want %v", st.NotBefore, msTrunc(at))
		}
	}
	if l, err := s.List(ctx, "alice", c.Now()); err != nil || len(l) != 0 {
		t.Errorf("List(alice) = %d sessions, %v; want none", len(l), err)
	}

	// Other subjects are untouched.
	st := lookup(t, s, c, b.ID, "bob", "")
	wantLive(t, st, b)
	if !st.NotBefore.IsZero() {
		t.Errorf("bob's NotBefore = %v, want none", st.NotBefore)
	}

	// Again: nothing left to delete. An earlier time does not move
	// not-before back.
	if n, err := s.RevokeSubject(ctx, "alice", at.Add(-time.Minute), Keep); err != nil || n != 0 {
		t.Errorf("RevokeSubject again = %d, %v; want 0", n, err)
	}
	if st := lookup(t, s, c, "", "alice", ""); !st.NotBefore.Equal(msTrunc(at)) {
		t.Errorf("NotBefore after an earlier revocation = %v, want %v", st.NotBefore, msTrunc(at))
	}

	// A new login works; not-before stays.
	a := login(t, s, c, "alice")
	st = lookup(t, s, c, a.ID, "alice", "")
	wantLive(t, st, a)
	if !st.NotBefore.Equal(msTrunc(at)) {
		t.Errorf("NotBefore after a new login = %v, want %v", st.NotBefore, msTrunc(at))
	}
}

func testNotBeforeExpires(t *testing.T, s Store, c *Clock) {
	at := c.Now()
	if _, err := s.RevokeSubject(t.Context(), "alice", at, Keep); err != nil {
		t.Fatal(err)
	}
	if st := lookup(t, s, c, "", "alice", ""); !st.NotBefore.Equal(msTrunc(at)) {
		t.Fatalf("NotBefore = %v, want %v", st.NotBefore, msTrunc(at))
	}
	// Every token issued before at has expired by at+Keep: nothing to keep.
	c.Advance(Keep + margin)
	if st := lookup(t, s, c, "", "alice", ""); !st.NotBefore.IsZero() {
		t.Errorf("NotBefore after Keep = %v, want none", st.NotBefore)
	}
}

func testDenyToken(t *testing.T, s Store, c *Clock) {
	ctx := t.Context()
	a := login(t, s, c, "alice")
	exp := c.Now().Add(Keep)
	if err := s.DenyToken(ctx, "alice", "jti-1", exp); err != nil {
		t.Fatalf("DenyToken: %v", err)
	}
	if err := s.DenyToken(ctx, "alice", "jti-old", c.Now().Add(-time.Second)); err != nil {
		t.Errorf("DenyToken of an expired token: %v", err)
	}
	for _, tc := range []struct {
		subject, jti string
		want         bool
	}{
		{"alice", "jti-1", true},
		{"alice", "jti-2", false},
		{"alice", "jti-old", false},
		{"bob", "jti-1", false}, // the denylist is per subject
		{"alice", "", false},
	} {
		if st := lookup(t, s, c, "", tc.subject, tc.jti); st.TokenDenied != tc.want {
			t.Errorf("TokenDenied(%s, %q) = %t, want %t", tc.subject, tc.jti, st.TokenDenied, tc.want)
		}
	}
	// Session and denylist in the same lookup.
	st := lookup(t, s, c, a.ID, "alice", "jti-1")
	wantLive(t, st, a)
	if !st.TokenDenied {
		t.Errorf("TokenDenied with a session = false, want true")
	}

	c.Advance(Keep + margin)
	if st := lookup(t, s, c, "", "alice", "jti-1"); st.TokenDenied {
		t.Errorf("TokenDenied after the token's expiry = true, want false")
	}
}
