package admin

import (
	"context"
	"time"

	"github.com/martyedge/security/pkg/session"
)

// Store is what the Service needs of a session store (session.MemoryStore
// or session.RedisStore).
type Store interface {
	// Create stores a new session.
	Create(ctx context.Context, s *session.Session) error
	// Get returns the live session with id at now, or session.ErrNotFound.
	Get(ctx context.Context, id string, now time.Time) (*session.Session, error)
	// Lookup answers a Check-time query; a live session's LastSeen moves
	// to q.Now. RefreshSession uses it to count the refresh as activity.
	Lookup(ctx context.Context, q session.Query) (session.Status, error)
	// SetRoles replaces the roles of a live session.
	SetRoles(ctx context.Context, id string, roles []string, now time.Time) error
	// Revoke deletes a session.
	Revoke(ctx context.Context, id string) error
	// RevokeSubject deletes the subject's sessions and sets its not-before
	// to at, kept for keep; it returns how many sessions it deleted.
	RevokeSubject(ctx context.Context, subject string, at time.Time, keep time.Duration) (int, error)
	// DenyToken refuses the subject's token jti until until.
	DenyToken(ctx context.Context, subject, jti string, until time.Time) error
	// List returns the subject's live sessions at now.
	List(ctx context.Context, subject string, now time.Time) ([]*session.Session, error)
}
