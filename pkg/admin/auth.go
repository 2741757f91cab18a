package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"fmt"
	"os"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// minAdminTokenBytes: the admin token is a long-lived bearer secret; 32
// bytes of randomness (e.g. `openssl rand -hex 32`) resist guessing.
const minAdminTokenBytes = 32

// servicePrefix is the start of every SessionService full method name
// (authzv1.SessionService_*_FullMethodName); the interceptor authenticates
// those and lets other services through. A test keeps it in step with the
// generated service descriptor.
const servicePrefix = "/marty.authz.v1.SessionService/"

// authenticator checks admin callers against every configured method.
type authenticator struct {
	tokenSum *[sha256.Size]byte // SHA-256 of the admin token; nil when not configured
	mtls     bool               // a verified client certificate is required
	uris     []string           // allowed URI SANs; with cns empty too, any
	cns      []string           // allowed common names
}

// caller is the authenticated identity of an admin call, put in the
// context by the interceptor; its presence is the proof the check ran.
type caller struct {
	name string // the certificate identity, or "admin-token"
}

type callerKey struct{}

// callerFrom returns the caller the interceptor authenticated, or nil.
func callerFrom(ctx context.Context) *caller {
	c, _ := ctx.Value(callerKey{}).(*caller)
	return c
}

// authenticated returns the caller UnaryInterceptor authenticated, and
// refuses the call when the interceptor was not installed.
func authenticated(ctx context.Context) (*caller, error) {
	c := callerFrom(ctx)
	if c == nil {
		return nil, status.Error(codes.Unauthenticated, "admin call not authenticated")
	}
	return c, nil
}

func newAuthenticator(cfg AuthConfig) (*authenticator, error) {
	a := &authenticator{}
	if cfg.TokenFile != "" {
		data, err := os.ReadFile(cfg.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("auth.token_file: %w", err)
		}
		tok := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		if len(tok) < minAdminTokenBytes {
			return nil, fmt.Errorf("auth.token_file: %q: the token is %d bytes; at least %d are required", cfg.TokenFile, len(tok), minAdminTokenBytes)
		}
		if strings.ContainsAny(tok, " \t\r\n") {
			return nil, fmt.Errorf("auth.token_file: %q: the token contains whitespace", cfg.TokenFile)
		}
		sum := sha256.Sum256([]byte(tok))
		a.tokenSum = &sum
	}
	if t := cfg.TLS; t != nil {
		a.mtls = true
		a.uris = slices.Clone(t.AllowedURIs)
		a.cns = slices.Clone(t.AllowedCommonNames)
	}
	return a, nil
}

// UnaryInterceptor authenticates calls to SessionService methods (others
// pass through untouched, so it may be chained on a shared server). A
// caller without credentials, or with a wrong token, gets UNAUTHENTICATED;
// a certificate outside the allowlist gets PERMISSION_DENIED.
func (s *Service) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !strings.HasPrefix(info.FullMethod, servicePrefix) {
			return handler(ctx, req)
		}
		c, err := s.auth.authenticate(ctx)
		if err != nil {
			// An audit event for the operator, not an error being handed
			// on: the caller only sees the status code.
			s.logger.WarnContext(ctx, "admin call refused", "method", info.FullMethod, "reason", err.Error())
			return nil, err
		}
		return handler(context.WithValue(ctx, callerKey{}, c), req)
	}
}

// authenticate runs every configured check. Messages never echo what the
// caller sent.
func (a *authenticator) authenticate(ctx context.Context) (*caller, error) {
	c := &caller{name: "admin-token"}
	if a.mtls {
		name, err := a.checkCertificate(ctx)
		if err != nil {
			return nil, err
		}
		c.name = name
	}
	if a.tokenSum != nil {
		if err := a.checkToken(ctx); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// checkToken requires exactly one "authorization: Bearer <token>" whose
// token equals the admin token. Both sides are hashed first so that the
// constant-time comparison does not leak the length either.
func (a *authenticator) checkToken(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	switch {
	case len(vals) == 0:
		return status.Error(codes.Unauthenticated, "missing authorization metadata")
	case len(vals) > 1:
		return status.Error(codes.Unauthenticated, "more than one authorization value")
	}
	scheme, tok, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return status.Error(codes.Unauthenticated, "authorization must be a Bearer token")
	}
	sum := sha256.Sum256([]byte(tok))
	if subtle.ConstantTimeCompare(sum[:], a.tokenSum[:]) != 1 {
		return status.Error(codes.Unauthenticated, "invalid admin token")
	}
	return nil
}

// checkCertificate requires a client certificate verified by the TLS
// handshake (ServerCredentials) and applies the allowlist. It returns the
// identity used for the audit log.
func (a *authenticator) checkCertificate(ctx context.Context) (string, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "", status.Error(codes.Unauthenticated, "no peer information")
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return "", status.Error(codes.Unauthenticated, "a verified client certificate is required")
	}
	leaf := info.State.VerifiedChains[0][0]
	name, allowed := a.allowed(leaf)
	if !allowed {
		return "", status.Error(codes.PermissionDenied, "client certificate is not allowed")
	}
	return name, nil
}

// allowed applies the allowlist to a verified leaf certificate.
func (a *authenticator) allowed(leaf *x509.Certificate) (string, bool) {
	for _, u := range leaf.URIs {
		if slices.Contains(a.uris, u.String()) {
			return u.String(), true
		}
	}
	cn := leaf.Subject.CommonName
	if cn != "" && slices.Contains(a.cns, cn) {
		return "cn=" + cn, true
	}
	if len(a.uris) == 0 && len(a.cns) == 0 {
		if len(leaf.URIs) > 0 {
			return leaf.URIs[0].String(), true
		}
		return "cn=" + cn, true
	}
	return "", false
}
