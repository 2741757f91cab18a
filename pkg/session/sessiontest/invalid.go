package sessiontest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/martyedge/security/pkg/session"
)

func testInvalidInputs(t *testing.T, s Store, c *Clock) {
	now := c.Now()
	good := func(mod func(*session.Session)) *session.Session {
		x := &session.Session{Subject: "alice", CreatedAt: now, IdleTimeout: Idle, ExpiresAt: now.Add(Absolute)}
		mod(x)
		return x
	}
	create := func(mod func(*session.Session)) func(context.Context) error {
		return func(ctx context.Context) error { return s.Create(ctx, good(mod)) }
	}
	id := session.NewID("alice")
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Create nil", func(ctx context.Context) error { return s.Create(ctx, nil) }},
		{"Create empty subject", create(func(x *session.Session) { x.Subject = "" })},
		{"Create huge subject", create(func(x *session.Session) { x.Subject = strings.Repeat("a", 4096) })},
		{"Create zero idle", create(func(x *session.Session) { x.IdleTimeout = 0 })},
		{"Create negative idle", create(func(x *session.Session) { x.IdleTimeout = -time.Second })},
		{"Create zero created-at", create(func(x *session.Session) { x.CreatedAt = time.Time{} })},
		{"Create expires at creation", create(func(x *session.Session) { x.ExpiresAt = x.CreatedAt })},
		{"Create expires before creation", create(func(x *session.Session) { x.ExpiresAt = x.CreatedAt.Add(-time.Second) })},
		{"Create last-seen before creation", create(func(x *session.Session) { x.LastSeen = x.CreatedAt.Add(-time.Second) })},
		{"Create id of another subject", create(func(x *session.Session) { x.ID = session.NewID("bob") })},
		{"Create malformed id", create(func(x *session.Session) { x.ID = "not-an-id" })},
		{"Create empty role", create(func(x *session.Session) { x.Roles = []string{"viewer", ""} })},
		{"Create role with a comma", create(func(x *session.Session) { x.Roles = []string{"a,b"} })},
		{"Create role with a newline", create(func(x *session.Session) { x.Roles = []string{"a\nb"} })},
		{"Get malformed id", func(ctx context.Context) error { _, err := s.Get(ctx, "nope", now); return err }},
		{"Get zero now", func(ctx context.Context) error { _, err := s.Get(ctx, id, time.Time{}); return err }},
		{"Lookup empty subject", func(ctx context.Context) error {
			_, err := s.Lookup(ctx, session.Query{SessionID: id, Now: now})
			return err
		}},
		{"Lookup zero now", func(ctx context.Context) error {
			_, err := s.Lookup(ctx, session.Query{SessionID: id, Subject: "alice"})
			return err
		}},
		{"SetRoles malformed id", func(ctx context.Context) error { return s.SetRoles(ctx, "nope", nil, now) }},
		{"SetRoles bad role", func(ctx context.Context) error { return s.SetRoles(ctx, id, []string{"a b"}, now) }},
		{"SetRoles zero now", func(ctx context.Context) error { return s.SetRoles(ctx, id, nil, time.Time{}) }},
		{"Revoke malformed id", func(ctx context.Context) error { return s.Revoke(ctx, "nope") }},
		{"RevokeSubject empty subject", func(ctx context.Context) error { _, err := s.RevokeSubject(ctx, "", now, Keep); return err }},
		{"RevokeSubject zero at", func(ctx context.Context) error {
			_, err := s.RevokeSubject(ctx, "alice", time.Time{}, Keep)
			return err
		}},
		{"RevokeSubject zero keep", func(ctx context.Context) error { _, err := s.RevokeSubject(ctx, "alice", now, 0); return err }},
		{"DenyToken empty subject", func(ctx context.Context) error { return s.DenyToken(ctx, "", "j", now.Add(Keep)) }},
		{"DenyToken empty jti", func(ctx context.Context) error { return s.DenyToken(ctx, "alice", "", now.Add(Keep)) }},
		{"DenyToken huge jti", func(ctx context.Context) error {
			return s.DenyToken(ctx, "alice", strings.Repeat("j", 1024), now.Add(Keep))
		}},
		{"DenyToken zero until", func(ctx context.Context) error { return s.DenyToken(ctx, "alice", "j", time.Time{}) }},
		{"List empty subject", func(ctx context.Context) error { _, err := s.List(ctx, "", now); return err }},
		{"List zero now", func(ctx context.Context) error { _, err := s.List(ctx, "alice", time.Time{}); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, tc.call(t.Context()), session.ErrInvalid)
		})
	}
	// Nothing of that was stored.
	if l, err := s.List(t.Context(), "alice", now); err != nil || len(l) != 0 {
		t.Errorf("List(alice) after invalid calls = %d sessions, %v; want none", len(l), err)
	}
}
