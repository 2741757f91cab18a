package admin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
	authzv1 "github.com/martyedge/security/proto/marty/authz/v1"
)

// CreateSession validates the request, stores the session, then mints its
// first token. A token that cannot be minted after all (the values were
// checked first, so only a signing fault) revokes the session again.
func (s *Service) CreateSession(ctx context.Context, req *authzv1.CreateSessionRequest) (*authzv1.CreateSessionResponse, error) {
	c, err := authenticated(ctx)
	if err != nil {
		return nil, err
	}
	var v violations
	claims := token.MintClaims{Subject: req.GetSubject(), Tenant: req.GetTenant(), Roles: req.GetRoles()}
	checkClaims(&v, claims)
	lifetime := duration(&v, "lifetime", req.GetLifetime(), s.sessions.DefaultLifetime, minSessionDuration, s.sessions.MaxLifetime)
	idle := duration(&v, "idle_timeout", req.GetIdleTimeout(), s.sessions.DefaultIdleTimeout, minSessionDuration, s.sessions.MaxLifetime)
	checkAttributes(&v, req.GetAttributes())
	if err := v.err(); err != nil {
		return nil, err
	}

	now := s.now()
	sess := &session.Session{
		ID:          session.NewID(claims.Subject),
		Subject:     claims.Subject,
		Roles:       slices.Clone(claims.Roles),
		Tenant:      claims.Tenant,
		CreatedAt:   now,
		LastSeen:    now,
		IdleTimeout: idle,
		ExpiresAt:   now.Add(lifetime),
		Attributes:  maps.Clone(req.GetAttributes()),
	}
	issued, err := Login(ctx, s.store, s.keys, sess, now)
	switch {
	case errors.Is(err, errStore):
		return nil, s.storeStatus(ctx, "create", err)
	case err != nil:
		s.logger.ErrorContext(ctx, "create session", "subject", sess.Subject, "error", err)
		return nil, status.Error(codes.Internal, "internal error")
	}
	s.logger.InfoContext(ctx, "session created", "subject", sess.Subject, "roles", len(sess.Roles),
		"expires_at", sess.ExpiresAt, "kid", issued.KeyID, "caller", c.name)
	return &authzv1.CreateSessionResponse{Session: sessionProto(sess), AccessToken: tokenProto(issued)}, nil
}

// RefreshSession mints a new token for a live session. The Lookup moves
// the session's LastSeen to now, so a refresh counts as activity; a session
// whose subject was revoked after it was created is gone.
func (s *Service) RefreshSession(ctx context.Context, req *authzv1.RefreshSessionRequest) (*authzv1.RefreshSessionResponse, error) {
	if _, err := authenticated(ctx); err != nil {
		return nil, err
	}
	var v violations
	checkSessionID(&v, "session_id", req.GetSessionId())
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.now()
	sess, err := s.store.Get(ctx, req.GetSessionId(), now)
	if err != nil {
		return nil, s.storeStatus(ctx, "get", err)
	}
	st, err := s.store.Lookup(ctx, session.Query{SessionID: sess.ID, Subject: sess.Subject, Now: now})
	if err != nil {
		return nil, s.storeStatus(ctx, "lookup", err)
	}
	if st.Session == nil || (!st.NotBefore.IsZero() && st.Session.CreatedAt.Before(st.NotBefore)) {
		return nil, status.Error(codes.NotFound, "session not found")
	}
	issued, err := s.mint(ctx, st.Session, now)
	if err != nil {
		return nil, err
	}
	return &authzv1.RefreshSessionResponse{Session: sessionProto(st.Session), AccessToken: tokenProto(issued)}, nil
}

// mint signs a token for sess: its roles and tenant, sid, exp at the
// ring's TokenTTL but never after the session's absolute expiry.
func (s *Service) mint(ctx context.Context, sess *session.Session, now time.Time) (token.Issued, error) {
	ttl := min(s.keys.TokenTTL(), sess.ExpiresAt.Sub(now))
	if ttl < time.Second {
		return token.Issued{}, status.Error(codes.NotFound, "session not found (it expires now)")
	}
	issued, err := s.keys.Mint(now, token.MintClaims{
		Subject:   sess.Subject,
		Tenant:    sess.Tenant,
		SessionID: sess.ID,
		Roles:     sess.Roles,
		TTL:       ttl,
	})
	if err != nil {
		s.logger.ErrorContext(ctx, "mint session token", "subject", sess.Subject, "error", err)
		return token.Issued{}, status.Error(codes.Internal, "internal error")
	}
	return issued, nil
}

// errStore marks Login errors that come from the store.
var errStore = errors.New("session store")

// SessionCreator is what Login needs of a session store.
type SessionCreator interface {
	Create(ctx context.Context, s *session.Session) error
	Revoke(ctx context.Context, id string) error
}

// Login stores sess and signs its first token (sid, jti, roles, tenant;
// exp at the ring's TokenTTL but never after the session ends). It is
// CreateSession without the API around it, also used by `extauthz token`.
// If the token cannot be signed the session is removed again, so no
// session is left that nobody holds a token for.
func Login(ctx context.Context, store SessionCreator, ring *token.KeyRing, sess *session.Session, now time.Time) (token.Issued, error) {
	if err := store.Create(ctx, sess); err != nil {
		return token.Issued{}, fmt.Errorf("%w: %w", errStore, err)
	}
	issued, err := ring.Mint(now, token.MintClaims{
		Subject:   sess.Subject,
		Tenant:    sess.Tenant,
		SessionID: sess.ID,
		Roles:     sess.Roles,
		TTL:       min(ring.TokenTTL(), sess.ExpiresAt.Sub(now)),
	})
	if err != nil {
		// The caller's context may be why minting failed: clean up apart.
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rerr := store.Revoke(cleanup, sess.ID); rerr != nil {
			return token.Issued{}, fmt.Errorf("mint session token: %w (and removing the session failed: %v)", err, rerr)
		}
		return token.Issued{}, fmt.Errorf("mint session token: %w", err)
	}
	return issued, nil
}
