package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"

	"github.com/martyedge/security/pkg/rbac"
	"github.com/martyedge/security/pkg/token"
)

// Authenticator verifies a raw bearer token. *token.Verifier implements it.
type Authenticator interface {
	Verify(ctx context.Context, raw string) (*token.Identity, error)
}

// IdentityHeaders names the request headers the server sets for the
// upstream on allow. Every configured name is also removed from requests
// where the server does not set it, so a client can never supply its own.
type IdentityHeaders struct {
	Subject   string
	Roles     string
	Tenant    string
	Principal string
}

// DefaultIdentityHeaders returns the header names used when none are
// configured.
func DefaultIdentityHeaders() IdentityHeaders {
	return IdentityHeaders{
		Subject:   "x-user-id",
		Roles:     "x-user-roles",
		Tenant:    "x-user-tenant",
		Principal: "x-client-principal",
	}
}

// Options configure a Service.
type Options struct {
	Authenticator Authenticator
	Policy        *rbac.Policy
	Logger        *slog.Logger
	// Shadow turns every denial into a logged allow (dry run).
	Shadow bool
	// ExcludedPaths are exact request paths (no query) allowed without
	// authentication, such as health and metrics endpoints.
	ExcludedPaths []string
	// TokenHeader, when set, is a header that may carry the raw token if
	// Authorization is absent.
	TokenHeader string
	// TokenCookie, when set, is a cookie that may carry the raw token if
	// neither Authorization nor TokenHeader is present.
	TokenCookie string
	// Realm is the realm of the WWW-Authenticate challenge.
	Realm   string
	Headers IdentityHeaders
	// Sessions, when set, makes server-side sessions authoritative (see
	// session.go). Nil disables them: the token's roles decide.
	Sessions SessionLookup
	// SessionTimeout bounds one session lookup, inside Envoy's ext_authz
	// timeout (default 50ms).
	SessionTimeout time.Duration
	// SessionFailOpen lets requests through on the token alone when the
	// session store cannot answer. The default (false) answers 503.
	SessionFailOpen bool
	// Clock is the time source (default time.Now).
	Clock func() time.Time
	// Metrics, when set, counts decisions and session store errors.
	Metrics *Metrics
	// Limiter, when set, applies the policy's per-user rate limits to
	// authorized requests (rate_limits.per_user).
	Limiter RateLimiter
	// LimitTimeout bounds one limiter call (default 50ms).
	LimitTimeout time.Duration
	// LimitFailClosed refuses requests (503) when the limiter cannot
	// answer. The default lets them through: limits protect capacity, and
	// a counter outage should not become an API outage.
	LimitFailClosed bool
}

// Service implements envoy.service.auth.v3.Authorization.
type Service struct {
	authv3.UnimplementedAuthorizationServer

	opts     Options
	log      *slog.Logger
	policy   atomic.Pointer[rbac.Policy]
	excluded map[string]struct{}
	idNames  []string // configured identity header names, for removal
}

var _ authv3.AuthorizationServer = (*Service)(nil)

// NewService checks the options and returns a ready Service.
func NewService(o Options) (*Service, error) {
	if o.Authenticator == nil {
		return nil, errors.New("authz: an Authenticator is required")
	}
	if o.Policy == nil {
		return nil, errors.New("authz: a policy is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Headers == (IdentityHeaders{}) {
		o.Headers = DefaultIdentityHeaders()
	}
	if o.Realm == "" {
		o.Realm = "api"
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = DefaultSessionTimeout
	}
	if o.LimitTimeout <= 0 {
		o.LimitTimeout = DefaultLimitTimeout
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	o.TokenHeader = strings.ToLower(o.TokenHeader)
	s := &Service{opts: o, log: o.Logger, excluded: make(map[string]struct{}, len(o.ExcludedPaths))}
	for _, p := range o.ExcludedPaths {
		s.excluded[p] = struct{}{}
	}
	for _, h := range []string{o.Headers.Subject, o.Headers.Roles, o.Headers.Tenant, o.Headers.Principal} {
		if h != "" {
			s.idNames = append(s.idNames, strings.ToLower(h))
		}
	}
	s.policy.Store(o.Policy)
	return s, nil
}

// SetPolicy replaces the policy atomically; Checks already running finish
// with the policy they started with.
func (s *Service) SetPolicy(p *rbac.Policy) { s.policy.Store(p) }

// Policy returns the policy in force.
func (s *Service) Policy() *rbac.Policy { return s.policy.Load() }

// Check answers Envoy. Denials are responses, never RPC errors: an RPC
// error is an authorization-service fault to Envoy and would be let
// through under failure_mode_allow.
func (s *Service) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	d := s.Decide(ctx, req)
	s.opts.Metrics.decision(&d)
	s.logDecision(ctx, &d)
	return s.respond(&d), nil
}

// Decide runs the decision pipeline without building the Envoy response.
func (s *Service) Decide(ctx context.Context, req *authv3.CheckRequest) Decision {
	r := newRequest(req)
	d := Decision{RequestID: r.requestID}
	if _, ok := s.excluded[r.path]; ok {
		d.Allowed, d.Reason = true, ReasonExcludedPath
		return d
	}
	pol := s.policy.Load()
	rq, den := requirementFor(pol, r)
	if den != nil {
		d.deny(den) // never shadowed: the settings that would say so are broken
		return d
	}
	d.Route, d.Permission = rq.route, rq.permission
	if rq.public {
		d.Allowed, d.Reason = true, ReasonPublicRoute
		return d
	}
	den = s.authenticate(ctx, pol, r, &d)
	if den == nil {
		switch {
		case rq.permission == "":
			den = errNoRoute
		case !pol.Allowed(d.Roles, rq.permission):
			den = errInsufficientPermission
		default:
			den = s.checkLimit(ctx, pol.RateLimits().PerUserLimit(d.Roles), &d)
		}
	}
	if den != nil {
		d.deny(den)
		if s.opts.Shadow || rq.shadow {
			d.Allowed, d.Shadow = true, true
		}
		return d
	}
	d.Allowed, d.Reason = true, ReasonAllowed
	return d
}

// authenticate establishes who the caller is: a bearer token if one was
// sent (a bad token is never rescued by the mTLS identity), otherwise the
// mTLS principal if the policy maps it to roles.
func (s *Service) authenticate(ctx context.Context, pol *rbac.Policy, r request, d *Decision) *denial {
	cred := s.extractToken(r)
	if cred.problem != nil {
		return cred.problem
	}
	if cred.token != "" {
		id, err := s.opts.Authenticator.Verify(ctx, cred.token)
		if err != nil {
			return tokenDenial(err)
		}
		d.Identity, d.Roles, d.Tenant = id, id.Roles, id.Tenant
		if s.opts.Sessions != nil {
			if den := s.checkSession(ctx, pol, id, d); den != nil {
				// Not authenticated after all: a shadow allow must not
				// pass the token's identity or roles upstream.
				d.Identity, d.Roles, d.Tenant, d.SessionID = nil, nil, "", ""
				return den
			}
		}
		return nil
	}
	if r.principal != "" {
		if roles := pol.ServiceRoles(r.principal); roles != nil {
			d.Principal, d.Roles = r.principal, roles
			return nil
		}
	}
	return errMissingCredentials
}

func tokenDenial(err error) *denial {
	var ve *token.VerifyError
	switch {
	case errors.Is(err, token.ErrKeysUnavailable),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return errKeysUnavailable
	case errors.As(err, &ve):
		return invalidToken(ve.Error())
	default:
		// Not a verifier message: it may carry details we must not show.
		return invalidToken("invalid token")
	}
}

// requirement is what a route demands of the caller.
type requirement struct {
	route      string
	permission string
	public     bool
	shadow     bool
}

// Context extension keys read from Envoy's per-route check_settings.
const (
	extPermission = "permission"
	extResource   = "resource"
	extAction     = "action"
	extPublic     = "public"
	extShadow     = "shadow"
)

// requirementFor resolves what the request needs: Envoy's per-route
// context_extensions win, then the policy's route table.
func requirementFor(pol *rbac.Policy, r request) (requirement, *denial) {
	var rq requirement
	ext := r.ext
	if v, ok := ext[extShadow]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return rq, routeMisconfigured(fmt.Sprintf("context extension %q must be true or false", extShadow))
		}
		rq.shadow = b
	}
	perm, hasPerm := ext[extPermission]
	res, hasRes := ext[extResource]
	act, hasAct := ext[extAction]
	pub, hasPub := ext[extPublic]
	switch {
	case hasPerm && (hasRes || hasAct):
		return rq, routeMisconfigured("context extensions set both permission and resource/action")
	case hasRes != hasAct:
		return rq, routeMisconfigured("context extensions resource and action must be set together")
	case hasRes:
		perm, hasPerm = res+":"+act, true
	}
	if hasPub {
		b, err := strconv.ParseBool(pub)
		if err != nil {
			return rq, routeMisconfigured(fmt.Sprintf("context extension %q must be true or false", extPublic))
		}
		if b && hasPerm {
			return rq, routeMisconfigured("context extensions set both public and a permission")
		}
		rq.public = b
	}
	if hasPerm {
		if err := rbac.ValidatePermission(perm); err != nil {
			return rq, routeMisconfigured("context extension permission is invalid")
		}
		rq.route, rq.permission = "envoy", perm
		return rq, nil
	}
	if rq.public {
		rq.route = "envoy"
		return rq, nil
	}
	if rt, ok := pol.MatchRoute(r.method, r.path); ok {
		rq.route, rq.permission, rq.public = rt.Name, rt.Permission, rt.Public
		rq.shadow = rq.shadow || rt.Shadow
	}
	return rq, nil
}

func (s *Service) logDecision(ctx context.Context, d *Decision) {
	level := slog.LevelDebug
	if !d.Allowed || d.Shadow {
		level = slog.LevelInfo
	}
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", d.RequestID),
		slog.Bool("allowed", d.Allowed),
		slog.String("reason", d.Reason),
		slog.String("route", d.Route),
		slog.String("permission", d.Permission),
	}
	if d.Shadow {
		attrs = append(attrs, slog.Bool("shadow", true), slog.Int("would_be_status", d.Status))
	} else if !d.Allowed {
		attrs = append(attrs, slog.Int("status", d.Status))
	}
	if d.Identity != nil {
		attrs = append(attrs, slog.String("subject", d.Identity.Subject), slog.String("issuer", d.Identity.Issuer))
	}
	if d.Principal != "" {
		attrs = append(attrs, slog.String("principal", d.Principal))
	}
	s.log.LogAttrs(ctx, level, "authorization decision", attrs...)
}
