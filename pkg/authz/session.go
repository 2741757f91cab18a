package authz

import (
	"context"
	"log/slog"
	"time"

	"github.com/martyedge/security/pkg/rbac"
	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
)

// SessionLookup answers, in one round trip, what a Check must know about
// server-side state: the live session a token names, the subject's
// not-before time and whether the token's jti is denylisted.
// *session.MemoryStore and *session.RedisStore implement it.
type SessionLookup interface {
	Lookup(ctx context.Context, q session.Query) (session.Status, error)
}

// DefaultSessionTimeout budgets one session lookup well inside Envoy's
// default 200 ms ext_authz timeout, leaving room for the rest of the Check
// and the network.
const DefaultSessionTimeout = 50 * time.Millisecond

// checkSession applies server-side state to a verified token:
//   - a denylisted jti is refused;
//   - a token naming a session is judged with the live session's roles and
//     tenant, and refused when the session is gone;
//   - a token naming no session is refused when the policy requires
//     sessions for its roles, and when it was issued before the subject's
//     not-before time.
//
// Not-before applies to tokens without a session only: RevokeSubject
// deletes the subject's sessions at the same moment, so a live session
// always postdates it. Token iat has one-second precision, so a token
// issued in the same second as the revocation is refused too.
func (s *Service) checkSession(ctx context.Context, pol *rbac.Policy, id *token.Identity, d *Decision) *denial {
	if id.SessionID == "" && pol.SessionRequired(id.Roles) {
		return errSessionRequired
	}
	lctx, cancel := context.WithTimeout(ctx, s.opts.SessionTimeout)
	st, err := s.opts.Sessions.Lookup(lctx, session.Query{
		SessionID: id.SessionID, Subject: id.Subject, TokenID: id.TokenID, Now: s.opts.Clock(),
	})
	cancel()
	if err != nil {
		s.opts.Metrics.sessionError(s.opts.SessionFailOpen)
		s.log.LogAttrs(ctx, slog.LevelWarn, "session lookup failed",
			slog.String("request_id", d.RequestID), slog.Bool("fail_open", s.opts.SessionFailOpen), slog.Any("error", err))
		if s.opts.SessionFailOpen {
			return nil // the token's own roles decide
		}
		return errSessionUnavailable
	}
	if st.TokenDenied {
		return errTokenRevoked
	}
	if id.SessionID != "" {
		if st.Session == nil {
			return errSessionInvalid
		}
		d.Roles, d.Tenant, d.SessionID = st.Session.Roles, st.Session.Tenant, st.Session.ID
		return nil
	}
	// iat is whole seconds: a token could predate not-before unless its
	// iat is at or after it.
	if !st.NotBefore.IsZero() && id.IssuedAt.Before(st.NotBefore) {
		return errTokenRevoked
	}
	return nil
}
