// Package sessiontest is the contract every session store must meet: one
// suite, run by the tests of each store (memory_test.go, redis_test.go)
// against a fresh store per case.
package sessiontest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/martyedge/security/pkg/session"
)

// Store is the method set both stores share; consumers declare their own
// narrower interfaces.
type Store interface {
	Create(ctx context.Context, s *session.Session) error
	Get(ctx context.Context, id string, now time.Time) (*session.Session, error)
	Lookup(ctx context.Context, q session.Query) (session.Status, error)
	SetRoles(ctx context.Context, id string, roles []string, now time.Time) error
	Revoke(ctx context.Context, id string) error
	RevokeSubject(ctx context.Context, subject string, at time.Time, keep time.Duration) (int, error)
	DenyToken(ctx context.Context, subject, jti string, until time.Time) error
	List(ctx context.Context, subject string, now time.Time) ([]*session.Session, error)
	Close() error
}

// Inspector is implemented by the Store a factory returns (typically a
// test wrapper around the real store) to let the suite check that nothing
// is kept forever.
type Inspector interface {
	// Residue returns how many entries the store still holds, and an error
	// naming any entry that has no expiry (a Redis key without a TTL).
	Residue(ctx context.Context) (int, error)
}

// Lifetimes used by the suite. They are short enough for a real-time run
// against Redis and long enough that scheduling delays on a loaded machine
// do not cross a boundary the suite asserts on.
const (
	// Idle is the sessions' idle timeout.
	Idle = 2 * time.Second
	// Absolute is the sessions' absolute lifetime.
	Absolute = 5 * time.Second
	// Granularity is the touch granularity the factory must configure
	// (session.WithTouchGranularity(sessiontest.Granularity)).
	Granularity = 500 * time.Millisecond
	// Keep is the longest token lifetime: how long not-before is kept,
	// and the lifetime of denylisted tokens.
	Keep = 3 * time.Second
)

// Run runs the contract against stores from newStore, one per case, in
// parallel. newStore must return a store configured with Granularity whose
// clock (session.WithClock) is the returned Clock, and close it in
// t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) (Store, *Clock)) {
	t.Helper()
	cases := []struct {
		name string
		run  func(t *testing.T, s Store, c *Clock)
	}{
		{"CreateGet", testCreateGet},
		{"LookupTouchesAndSlidesIdle", testLookupSlidesIdle},
		{"IdleExpiry", testIdleExpiry},
		{"AbsoluteExpiryDespiteActivity", testAbsoluteExpiry},
		{"SubjectMismatchGetsNoSession", testSubjectMismatch},
		{"SetRolesVisibleOnNextLookup", testSetRoles},
		{"List", testList},
		{"RevokeOne", testRevokeOne},
		{"RevokeSubject", testRevokeSubject},
		{"NotBeforeExpiresAfterKeep", testNotBeforeExpires},
		{"DenyTokenUntilExpiry", testDenyToken},
		{"InvalidInputs", testInvalidInputs},
		{"Concurrent", testConcurrent},
		{"EverythingExpires", testResidue},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := newStore(t)
			tc.run(t, s, c)
		})
	}
}

// login creates a session of subject with the suite's lifetimes.
func login(t *testing.T, s Store, c *Clock, subject string, roles ...string) *session.Session {
	t.Helper()
	now := c.Now()
	sess := &session.Session{
		Subject:     subject,
		Roles:       roles,
		Tenant:      "acme",
		CreatedAt:   now,
		IdleTimeout: Idle,
		ExpiresAt:   now.Add(Absolute),
		Attributes:  map[string]string{"client_ip": "192.0.2.7"},
	}
	if err := s.Create(t.Context(), sess); err != nil {
		t.Fatalf("Create(%s): %v", subject, err)
	}
	return sess
}

// lookup runs a Lookup at the clock's now and fails the test on error.
func lookup(t *testing.T, s Store, c *Clock, sid, subject, jti string) session.Status {
	t.Helper()
	st, err := s.Lookup(t.Context(), session.Query{SessionID: sid, Subject: subject, TokenID: jti, Now: c.Now()})
	if err != nil {
		t.Fatalf("Lookup(%s): %v", subject, err)
	}
	return st
}

// wantLive fails unless st holds the session want, with want's data.
func wantLive(t *testing.T, st session.Status, want *session.Session) *session.Session {
	t.Helper()
	if st.Session == nil {
		t.Fatalf("Lookup returned no session, want %s's", want.Subject)
	}
	sameSession(t, st.Session, want)
	return st.Session
}

// sameSession compares everything but LastSeen and Roles (which change).
func sameSession(t *testing.T, got, want *session.Session) {
	t.Helper()
	switch {
	case got.ID != want.ID:
		t.Errorf("ID differs")
	case got.Subject != want.Subject:
		t.Errorf("Subject = %q, want %q", got.Subject, want.Subject)
	case got.Tenant != want.Tenant:
		t.Errorf("Tenant = %q, want %q", got.Tenant, want.Tenant)
	case !got.CreatedAt.Equal(want.CreatedAt):
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want.CreatedAt)
	case !got.ExpiresAt.Equal(want.ExpiresAt):
		t.Errorf("ExpiresAt = %v, want %v", got.ExpiresAt, want.ExpiresAt)
	case got.IdleTimeout != want.IdleTimeout:
		t.Errorf("IdleTimeout = %v, want %v", got.IdleTimeout, want.IdleTimeout)
	case len(got.Attributes) != len(want.Attributes) || got.Attributes["client_ip"] != want.Attributes["client_ip"]:
		t.Errorf("Attributes = %v, want %v", got.Attributes, want.Attributes)
	}
}

func wantRoles(t *testing.T, got *session.Session, want ...string) {
	t.Helper()
	if !slices.Equal(got.Roles, want) && !(len(got.Roles) == 0 && len(want) == 0) {
		t.Errorf("Roles = %q, want %q", got.Roles, want)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

// msTrunc is the precision stores keep.
func msTrunc(t time.Time) time.Time { return t.Truncate(time.Millisecond) }
