package sessiontest

import (
	"testing"
	"time"

	"github.com/martyedge/security/pkg/session"
)

// margin keeps real-clock assertions away from the instant a lifetime ends.
const margin = 300 * time.Millisecond

func testCreateGet(t *testing.T, s Store, c *Clock) {
	ctx := t.Context()
	a := login(t, s, c, "alice", "viewer", "developer")
	if tag, ok := session.TagOf(a.ID); !ok || tag != session.Tag("alice") {
		t.Fatalf("Create filled an id without alice's tag")
	}
	if !a.LastSeen.Equal(a.CreatedAt) {
		t.Errorf("LastSeen = %v, want CreatedAt %v", a.LastSeen, a.CreatedAt)
	}
	got, err := s.Get(ctx, a.ID, c.Now())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	sameSession(t, got, a)
	wantRoles(t, got, "viewer", "developer")
	if !got.LastSeen.Equal(a.LastSeen) {
		t.Errorf("Get LastSeen = %v, want %v", got.LastSeen, a.LastSeen)
	}

	// The store keeps its own copy.
	got.Roles[0] = "admin"
	a.Roles[0] = "admin"
	again, err := s.Get(ctx, a.ID, c.Now())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	wantRoles(t, again, "viewer", "developer")

	// A caller-chosen id with the subject's tag is kept; reusing it is not.
	id := session.NewID("alice")
	now := c.Now()
	b := &session.Session{ID: id, Subject: "alice", CreatedAt: now, IdleTimeout: Idle, ExpiresAt: now.Add(Absolute)}
	if err := s.Create(ctx, b); err != nil || b.ID != id {
		t.Fatalf("Create with id: %v (id kept: %t)", err, b.ID == id)
	}
	dup := &session.Session{ID: id, Subject: "alice", CreatedAt: now.Add(time.Millisecond), IdleTimeout: Idle, ExpiresAt: now.Add(Absolute)}
	wantErr(t, "Create with an id in use", s.Create(ctx, dup), session.ErrInvalid)

	_, err = s.Get(ctx, session.NewID("alice"), c.Now())
	wantErr(t, "Get unknown id", err, session.ErrNotFound)
}

func testLookupSlidesIdle(t *testing.T, s Store, c *Clock) {
	a := login(t, s, c, "alice", "viewer")

	// Within the touch granularity LastSeen is not rewritten.
	got := wantLive(t, lookup(t, s, c, a.ID, "alice", ""), a)
	wantRoles(t, got, "viewer")
	if !got.LastSeen.Equal(a.LastSeen) {
		t.Errorf("LastSeen moved within the touch granularity: %v, want %v", got.LastSeen, a.LastSeen)
	}

	// Past it, the lookup touches: LastSeen is the query's now.
	c.Advance(Idle * 6 / 10)
	now := c.Now()
	st, err := s.Lookup(t.Context(), session.Query{SessionID: a.ID, Subject: "alice", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	got = wantLive(t, st, a)
	if !got.LastSeen.Equal(msTrunc(now)) {
		t.Errorf("LastSeen = %v, want the lookup's now %v", got.LastSeen, msTrunc(now))
	}

	// Alive past the idle timeout counted from creation: the touch slid it.
	c.Advance(Idle * 6 / 10)
	wantLive(t, lookup(t, s, c, a.ID, "alice", ""), a)
	if g, err := s.Get(t.Context(), a.ID, c.Now()); err != nil {
		t.Errorf("Get after sliding: %v", err)
	} else if !g.LastSeen.After(a.LastSeen) {
		t.Errorf("Get LastSeen = %v, want after %v", g.LastSeen, a.LastSeen)
	}

	// Unused for longer than the idle timeout: gone.
	c.Advance(Idle + margin)
	if st := lookup(t, s, c, a.ID, "alice", ""); st.Session != nil {
		t.Errorf("Lookup after idle timeout returned a session")
	}
}

func testIdleExpiry(t *testing.T, s Store, c *Clock) {
	ctx := t.Context()
	a := login(t, s, c, "alice")
	if !c.Real() {
		// Exact boundaries: live until LastSeen+Idle, excluded.
		c.Advance(Idle - time.Millisecond)
		if _, err := s.Get(ctx, a.ID, c.Now()); err != nil {
			t.Fatalf("Get 1ms before the idle timeout: %v", err)
		}
		c.Advance(time.Millisecond)
	} else {
		c.Advance(Idle + margin)
	}
	_, err := s.Get(ctx, a.ID, c.Now())
	wantErr(t, "Get after the idle timeout", err, session.ErrNotFound)
	if st := lookup(t, s, c, a.ID, "alice", ""); st.Session != nil {
		t.Errorf("Lookup after the idle timeout returned a session")
	}
	if l, err := s.List(ctx, "alice", c.Now()); err != nil || len(l) != 0 {
		t.Errorf("List after the idle timeout = %d sessions, %v; want none", len(l), err)
	}
}

func testAbsoluteExpiry(t *testing.T, s Store, c *Clock) {
	a := login(t, s, c, "alice")
	for {
		c.Advance(Idle / 2)
		now := c.Now()
		st, err := s.Lookup(t.Context(), session.Query{SessionID: a.ID, Subject: "alice", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case now.Before(a.ExpiresAt.Add(-margin)):
			wantLive(t, st, a)
		case !now.Before(a.ExpiresAt):
			if st.Session != nil {
				t.Fatalf("Lookup at the absolute expiry returned a session")
			}
			_, err := s.Get(t.Context(), a.ID, now)
			wantErr(t, "Get after the absolute expiry", err, session.ErrNotFound)
			return
		}
	}
}

func testSubjectMismatch(t *testing.T, s Store, c *Clock) {
	a := login(t, s, c, "alice")
	login(t, s, c, "bob")
	c.Advance(Granularity + margin) // a touch would be due now

	// A token for bob carrying alice's sid.
	if st := lookup(t, s, c, a.ID, "bob", ""); st.Session != nil {
		t.Errorf("bob's lookup returned alice's session")
	}
	// An id forged with bob's tag and the random part of alice's.
	forged := session.Tag("bob") + a.ID[len(session.Tag("alice")):]
	if st := lookup(t, s, c, forged, "bob", ""); st.Session != nil {
		t.Errorf("a forged id returned a session")
	}
	// Malformed ids are no session, not an error.
	for _, sid := range []string{"x", a.ID + "x", "." + a.ID} {
		if st := lookup(t, s, c, sid, "alice", ""); st.Session != nil {
			t.Errorf("malformed sid %q returned a session", sid)
		}
	}
	// None of that touched alice's session.
	got, err := s.Get(t.Context(), a.ID, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastSeen.Equal(a.LastSeen) {
		t.Errorf("a mismatched lookup touched the session: LastSeen %v, want %v", got.LastSeen, a.LastSeen)
	}
}

func testSetRoles(t *testing.T, s Store, c *Clock) {
	ctx := t.Context()
	a := login(t, s, c, "alice", "viewer")
	if err := s.SetRoles(ctx, a.ID, []string{"admin", "auditor"}, c.Now()); err != nil {
		t.Fatalf("SetRoles: %v", err)
	}
	wantRoles(t, wantLive(t, lookup(t, s, c, a.ID, "alice", ""), a), "admin", "auditor")
	if err := s.SetRoles(ctx, a.ID, nil, c.Now()); err != nil {
		t.Fatalf("SetRoles(nil): %v", err)
	}
	wantRoles(t, wantLive(t, lookup(t, s, c, a.ID, "alice", ""), a))

	wantErr(t, "SetRoles on an unknown id", s.SetRoles(ctx, session.NewID("alice"), []string{"x"}, c.Now()), session.ErrNotFound)
	c.Advance(Idle + margin)
	wantErr(t, "SetRoles on an expired session", s.SetRoles(ctx, a.ID, []string{"x"}, c.Now()), session.ErrNotFound)
}

func testList(t *testing.T, s Store, c *Clock) {
	ctx := t.Context()
	a1 := login(t, s, c, "alice")
	c.Advance(10 * time.Millisecond)
	a2 := login(t, s, c, "alice")
	c.Advance(10 * time.Millisecond)
	a3 := login(t, s, c, "alice")
	b := login(t, s, c, "bob")

	ids := func(subject string) []string {
		t.Helper()
		l, err := s.List(ctx, subject, c.Now())
		if err != nil {
			t.Fatalf("List(%s): %v", subject, err)
		}
		out := make([]string, len(l))
		for i, x := range l {
			if x.Subject != subject {
				t.Errorf("List(%s) returned a session of %s", subject, x.Subject)
			}
			out[i] = x.ID
		}
		return out
	}
	same := func(what string, got []string, want ...string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d sessions, want %d", what, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: session %d is not the one created %d-th", what, i, i)
			}
		}
	}
	same("List(alice)", ids("alice"), a1.ID, a2.ID, a3.ID)
	same("List(bob)", ids("bob"), b.ID)
	same("List(carol)", ids("carol"))
	if err := s.Revoke(ctx, a2.ID); err != nil {
		t.Fatal(err)
	}
	same("List(alice) after Revoke", ids("alice"), a1.ID, a3.ID)
}
