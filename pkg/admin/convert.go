package admin

import (
	"maps"
	"slices"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
	authzv1 "github.com/martyedge/security/proto/marty/authz/v1"
)

// sessionProto converts a stored session.
func sessionProto(s *session.Session) *authzv1.Session {
	return &authzv1.Session{
		Id:           s.ID,
		Subject:      s.Subject,
		Roles:        slices.Clone(s.Roles),
		Tenant:       s.Tenant,
		CreateTime:   timestamppb.New(s.CreatedAt),
		LastSeenTime: timestamppb.New(s.LastSeen),
		IdleTimeout:  durationpb.New(s.IdleTimeout),
		ExpireTime:   timestamppb.New(s.ExpiresAt),
		Attributes:   maps.Clone(s.Attributes),
	}
}

// tokenProto converts a minted token.
func tokenProto(t token.Issued) *authzv1.AccessToken {
	return &authzv1.AccessToken{
		Token:      t.Token,
		TokenType:  "Bearer",
		TokenId:    t.ID,
		KeyId:      t.KeyID,
		IssueTime:  timestamppb.New(t.IssuedAt),
		ExpireTime: timestamppb.New(t.ExpiresAt),
	}
}
