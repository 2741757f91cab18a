package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/session/sessiontest"
)

// Compile-time checks: both stores have the contract's method set.
var (
	_ sessiontest.Store = (*session.MemoryStore)(nil)
	_ sessiontest.Store = (*session.RedisStore)(nil)
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// inspectedMemory lets the suite count what a MemoryStore holds.
type inspectedMemory struct{ *session.MemoryStore }

func (m inspectedMemory) Residue(context.Context) (int, error) {
	return session.MemoryEntries(m.MemoryStore), nil
}

func newMemory(t *testing.T, opts ...session.Option) (*session.MemoryStore, *sessiontest.Clock) {
	t.Helper()
	c := sessiontest.NewFakeClock(epoch)
	opts = append([]session.Option{
		session.WithClock(c.Now),
		session.WithTouchGranularity(sessiontest.Granularity),
		session.WithSweepInterval(5 * time.Millisecond),
	}, opts...)
	m := session.NewMemoryStore(opts...)
	t.Cleanup(func() { _ = m.Close() })
	return m, c
}

func TestMemoryStoreContract(t *testing.T) {
	t.Parallel()
	sessiontest.Run(t, func(t *testing.T) (sessiontest.Store, *sessiontest.Clock) {
		m, c := newMemory(t)
		return inspectedMemory{m}, c
	})
}

func newSession(subject string, now time.Time) *session.Session {
	return &session.Session{Subject: subject, CreatedAt: now, IdleTimeout: time.Minute, ExpiresAt: now.Add(time.Hour)}
}

func TestMemoryStoreFullRefusesUntilSweep(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m, c := newMemory(t, session.WithMaxSessions(2), session.WithSweepInterval(time.Hour))
	for range 2 {
		if err := m.Create(ctx, newSession("alice", c.Now())); err != nil {
			t.Fatal(err)
		}
	}
	err := m.Create(ctx, newSession("bob", c.Now()))
	if !errors.Is(err, session.ErrFull) || errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("Create on a full store: %v; want ErrFull (not ErrUnavailable)", err)
	}
	// Existing sessions keep working.
	if st, err := m.Lookup(ctx, session.Query{Subject: "alice", Now: c.Now()}); err != nil || st.TokenDenied {
		t.Fatalf("Lookup on a full store: %v", err)
	}
	// Once they have expired, Create sweeps them and succeeds.
	c.Advance(time.Minute)
	if err := m.Create(ctx, newSession("bob", c.Now())); err != nil {
		t.Fatalf("Create after expiry: %v", err)
	}
	if n := m.Len(); n != 1 {
		t.Errorf("Len = %d, want 1", n)
	}
}

func TestMemoryStoreTouchGranularity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      []session.Option
		after     time.Duration
		wantTouch bool
	}{
		{"default, within 1s", nil, 999 * time.Millisecond, false},
		{"default, at 1s", nil, time.Second, true},
		{"zero touches every lookup", []session.Option{session.WithTouchGranularity(0)}, time.Millisecond, true},
		{"negative keeps the default", []session.Option{session.WithTouchGranularity(-1)}, 999 * time.Millisecond, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := sessiontest.NewFakeClock(epoch)
			m := session.NewMemoryStore(append([]session.Option{session.WithClock(c.Now)}, tc.opts...)...)
			t.Cleanup(func() { _ = m.Close() })
			s := newSession("alice", c.Now())
			if err := m.Create(t.Context(), s); err != nil {
				t.Fatal(err)
			}
			c.Advance(tc.after)
			st, err := m.Lookup(t.Context(), session.Query{SessionID: s.ID, Subject: "alice", Now: c.Now()})
			if err != nil || st.Session == nil {
				t.Fatalf("Lookup: %v, session %v", err, st.Session)
			}
			if touched := st.Session.LastSeen.Equal(c.Now()); touched != tc.wantTouch {
				t.Errorf("touched = %t, want %t", touched, tc.wantTouch)
			}
		})
	}
}

func TestMemoryStoreClosed(t *testing.T) {
	t.Parallel()
	m, c := newMemory(t)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, err := m.Lookup(t.Context(), session.Query{Subject: "alice", Now: c.Now()})
	if !errors.Is(err, session.ErrUnavailable) {
		t.Errorf("Lookup after Close: %v, want ErrUnavailable", err)
	}
	if err := m.Ping(t.Context()); !errors.Is(err, session.ErrUnavailable) {
		t.Errorf("Ping after Close: %v, want ErrUnavailable", err)
	}
}

// TestMemoryStoreCloseStopsSweep: the sweep goroutine ends with Close.
// Not parallel, so that goleak sees only this test's goroutines.
func TestMemoryStoreCloseStopsSweep(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	m := session.NewMemoryStore(session.WithSweepInterval(time.Millisecond))
	if err := m.Create(t.Context(), newSession("alice", time.Now())); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}
