package sessiontest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/martyedge/security/pkg/session"
)

// testConcurrent runs Create, Lookup, SetRoles, Revoke, RevokeSubject,
// DenyToken and List from many goroutines over a few shared subjects. Run
// under -race it finds unsynchronised state; its assertions find answers
// that mix subjects.
func testConcurrent(t *testing.T, s Store, c *Clock) {
	const workers, rounds = 16, 25
	subjects := []string{"u0", "u1", "u2", "u3"}
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := range workers {
		subject := subjects[w%len(subjects)]
		wg.Go(func() {
			for i := range rounds {
				now := c.Now()
				x := &session.Session{Subject: subject, Roles: []string{"viewer"}, CreatedAt: now, IdleTimeout: Idle, ExpiresAt: now.Add(Absolute)}
				if err := s.Create(ctx, x); err != nil {
					t.Errorf("Create: %v", err)
					return
				}
				jti := fmt.Sprintf("j-%d-%d", w, i)
				st, err := s.Lookup(ctx, session.Query{SessionID: x.ID, Subject: subject, TokenID: jti, Now: c.Now()})
				if err != nil {
					t.Errorf("Lookup: %v", err)
					return
				}
				if st.Session != nil && (st.Session.ID != x.ID || st.Session.Subject != subject) {
					t.Errorf("Lookup returned another session")
				}
				if err := s.SetRoles(ctx, x.ID, []string{"editor"}, c.Now()); err != nil && !errors.Is(err, session.ErrNotFound) {
					t.Errorf("SetRoles: %v", err)
				}
				if i%7 == 0 {
					if err := s.DenyToken(ctx, subject, jti, c.Now().Add(Keep)); err != nil {
						t.Errorf("DenyToken: %v", err)
					}
				}
				if i%3 == 0 {
					if err := s.Revoke(ctx, x.ID); err != nil {
						t.Errorf("Revoke: %v", err)
					}
				}
				if i%10 == 9 {
					if _, err := s.RevokeSubject(ctx, subject, c.Now(), Keep); err != nil {
						t.Errorf("RevokeSubject: %v", err)
					}
				}
				l, err := s.List(ctx, subject, c.Now())
				if err != nil {
					t.Errorf("List: %v", err)
					return
				}
				for _, y := range l {
					if y.Subject != subject {
						t.Errorf("List(%s) returned a session of %s", subject, y.Subject)
					}
				}
			}
		})
	}
	wg.Wait()

	for _, subject := range subjects {
		if _, err := s.RevokeSubject(ctx, subject, c.Now(), Keep); err != nil {
			t.Fatalf("RevokeSubject(%s): %v", subject, err)
		}
		if l, err := s.List(ctx, subject, c.Now()); err != nil || len(l) != 0 {
			t.Errorf("List(%s) after RevokeSubject = %d sessions, %v; want none", subject, len(l), err)
		}
	}
}
