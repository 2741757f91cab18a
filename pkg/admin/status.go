package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/martyedge/security/pkg/session"
)

// violations accumulates invalid request fields.
type violations []*errdetails.BadRequest_FieldViolation

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, &errdetails.BadRequest_FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// err returns nil, or INVALID_ARGUMENT naming every field in the message
// and in google.rpc.BadRequest details.
func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = f.Field + ": " + f.Description
	}
	st := status.New(codes.InvalidArgument, "invalid request: "+strings.Join(parts, "; "))
	if withDetails, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: v}); err == nil {
		st = withDetails
	}
	return st.Err()
}

// storeStatus turns a store error into a gRPC status. Store messages are
// not passed on: they may name the session id, which is a secret. What is
// not a known condition is logged here and reported as INTERNAL.
func (s *Service) storeStatus(ctx context.Context, op string, err error) error {
	switch {
	case errors.Is(err, session.ErrNotFound):
		return status.Error(codes.NotFound, "session not found")
	case errors.Is(err, session.ErrUnavailable):
		return status.Error(codes.Unavailable, "session store unavailable")
	case errors.Is(err, session.ErrFull):
		return status.Error(codes.ResourceExhausted, "session store is full")
	case errors.Is(err, session.ErrInvalid):
		return status.Error(codes.InvalidArgument, "the session store refused the request as invalid")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	}
	s.logger.ErrorContext(ctx, "session store failed", "op", op, "error", err)
	return status.Error(codes.Internal, "internal error")
}
