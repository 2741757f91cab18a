package admin

import (
	"context"
	"math"
	"slices"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/martyedge/security/pkg/session"
	authzv1 "github.com/martyedge/security/proto/marty/authz/v1"
)

// RevokeSession deletes one session.
func (s *Service) RevokeSession(ctx context.Context, req *authzv1.RevokeSessionRequest) (*authzv1.RevokeSessionResponse, error) {
	c, err := authenticated(ctx)
	if err != nil {
		return nil, err
	}
	var v violations
	checkSessionID(&v, "session_id", req.GetSessionId())
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.store.Revoke(ctx, req.GetSessionId()); err != nil {
		return nil, s.storeStatus(ctx, "revoke", err)
	}
	s.logger.InfoContext(ctx, "session revoked", "caller", c.name)
	return &authzv1.RevokeSessionResponse{}, nil
}

// RevokeSubject deletes every session of the subject and sets its
// not-before to now, kept for as long as a token issued before now can
// still be accepted: the longer of the ring's TokenTTL and the longest
// session lifetime (which also covers identity-provider tokens with
// lifetimes up to that), plus the largest leeway.
func (s *Service) RevokeSubject(ctx context.Context, req *authzv1.RevokeSubjectRequest) (*authzv1.RevokeSubjectResponse, error) {
	c, err := authenticated(ctx)
	if err != nil {
		return nil, err
	}
	var v violations
	checkSubject(&v, req.GetSubject())
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.now()
	n, err := s.store.RevokeSubject(ctx, req.GetSubject(), now, max(s.keys.TokenTTL(), s.sessions.MaxLifetime)+revocationSlack)
	if err != nil {
		return nil, s.storeStatus(ctx, "revoke subject", err)
	}
	s.logger.InfoContext(ctx, "subject revoked", "subject", req.GetSubject(), "sessions", n, "caller", c.name)
	return &authzv1.RevokeSubjectResponse{
		RevokedSessions: int32(min(n, math.MaxInt32)),
		NotBeforeTime:   timestamppb.New(now),
	}, nil
}

// GetSession returns a live session.
func (s *Service) GetSession(ctx context.Context, req *authzv1.GetSessionRequest) (*authzv1.GetSessionResponse, error) {
	if _, err := authenticated(ctx); err != nil {
		return nil, err
	}
	var v violations
	checkSessionID(&v, "session_id", req.GetSessionId())
	if err := v.err(); err != nil {
		return nil, err
	}
	sess, err := s.store.Get(ctx, req.GetSessionId(), s.now())
	if err != nil {
		return nil, s.storeStatus(ctx, "get", err)
	}
	return &authzv1.GetSessionResponse{Session: sessionProto(sess)}, nil
}

// ListSessions returns the subject's live sessions by expiry.
func (s *Service) ListSessions(ctx context.Context, req *authzv1.ListSessionsRequest) (*authzv1.ListSessionsResponse, error) {
	if _, err := authenticated(ctx); err != nil {
		return nil, err
	}
	var v violations
	checkSubject(&v, req.GetSubject())
	if err := v.err(); err != nil {
		return nil, err
	}
	list, err := s.store.List(ctx, req.GetSubject(), s.now())
	if err != nil {
		return nil, s.storeStatus(ctx, "list", err)
	}
	slices.SortStableFunc(list, func(a, b *session.Session) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
	out := make([]*authzv1.Session, len(list))
	for i, sess := range list {
		out[i] = sessionProto(sess)
	}
	return &authzv1.ListSessionsResponse{Sessions: out}, nil
}

// SetSessionRoles replaces a live session's roles and returns the session.
func (s *Service) SetSessionRoles(ctx context.Context, req *authzv1.SetSessionRolesRequest) (*authzv1.SetSessionRolesResponse, error) {
	c, err := authenticated(ctx)
	if err != nil {
		return nil, err
	}
	var v violations
	checkSessionID(&v, "session_id", req.GetSessionId())
	checkRoles(&v, req.GetRoles())
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.now()
	if err := s.store.SetRoles(ctx, req.GetSessionId(), slices.Clone(req.GetRoles()), now); err != nil {
		return nil, s.storeStatus(ctx, "set roles", err)
	}
	sess, err := s.store.Get(ctx, req.GetSessionId(), now)
	if err != nil {
		return nil, s.storeStatus(ctx, "get", err)
	}
	s.logger.InfoContext(ctx, "session roles set", "subject", sess.Subject, "roles", len(sess.Roles), "caller", c.name)
	return &authzv1.SetSessionRolesResponse{Session: sessionProto(sess)}, nil
}

// RevokeToken puts one token's jti on the subject's denylist until the
// token expires.
func (s *Service) RevokeToken(ctx context.Context, req *authzv1.RevokeTokenRequest) (*authzv1.RevokeTokenResponse, error) {
	c, err := authenticated(ctx)
	if err != nil {
		return nil, err
	}
	var v violations
	checkSubject(&v, req.GetSubject())
	if req.GetTokenId() == "" || len(req.GetTokenId()) > maxTokenIDLen {
		v.add("token_id", "required, at most %d bytes", maxTokenIDLen)
	}
	now := s.now()
	exp := req.GetExpireTime()
	switch {
	case exp == nil || exp.CheckValid() != nil:
		v.add("expire_time", "required: the token's exp")
	case !exp.AsTime().After(now):
		v.add("expire_time", "the token has expired already: nothing to revoke")
	case exp.AsTime().After(now.Add(maxSessionDuration)):
		v.add("expire_time", "more than %s ahead", maxSessionDuration)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.store.DenyToken(ctx, req.GetSubject(), req.GetTokenId(), exp.AsTime()); err != nil {
		return nil, s.storeStatus(ctx, "revoke token", err)
	}
	s.logger.InfoContext(ctx, "token revoked", "subject", req.GetSubject(), "until", exp.AsTime(), "caller", c.name)
	return &authzv1.RevokeTokenResponse{}, nil
}

// maxTokenIDLen bounds a jti: ours are 26 characters, identity providers'
// are UUIDs or similar.
const maxTokenIDLen = 256
