package authz

import (
	"net/http"

	"github.com/martyedge/security/pkg/ratelimit"
	"github.com/martyedge/security/pkg/token"
)

// Reason codes say why a decision was taken. They are stable: logs,
// metrics and the audit trail are keyed by them.
const (
	ReasonAllowed                = "allowed"
	ReasonExcludedPath           = "excluded_path"
	ReasonPublicRoute            = "public_route"
	ReasonMissingCredentials     = "missing_credentials"
	ReasonWrongScheme            = "wrong_scheme"
	ReasonMultipleCredentials    = "multiple_credentials"
	ReasonInvalidToken           = "invalid_token"
	ReasonKeysUnavailable        = "keys_unavailable"
	ReasonNoRoute                = "no_route"
	ReasonInsufficientPermission = "insufficient_permission"
	ReasonRouteMisconfigured     = "route_misconfigured"
	ReasonTokenRevoked           = "token_revoked"
	ReasonSessionInvalid         = "session_invalid"
	ReasonSessionRequired        = "session_required"
	ReasonSessionUnavailable     = "session_store_unavailable"
	ReasonRateLimited            = "rate_limited"
	ReasonLimiterUnavailable     = "rate_limiter_unavailable"
)

// Decision is the outcome of one Check, with everything a log line or an
// audit event needs. It never holds the token itself.
type Decision struct {
	// Allowed is true when the request goes upstream. A shadow decision is
	// allowed even though Denial says what would have happened.
	Allowed bool
	// Shadow is true when a denial was turned into an allow by shadow mode.
	Shadow bool
	// Reason is one of the Reason* codes.
	Reason string
	// Status is the HTTP status of the denial (0 on a plain allow).
	Status int
	// Description is a short human text, safe to show to the client.
	Description string
	RequestID   string
	// Route is the policy route name, or "envoy" when Envoy's
	// context_extensions decided the requirement.
	Route      string
	Permission string
	// Identity is the verified token's identity, when a token was sent.
	Identity *token.Identity
	// Principal is the mTLS principal that authenticated the caller when no
	// token was sent.
	Principal string
	// Roles are the roles the decision was evaluated with: the session's
	// when the token names a live session, else the token's or the service
	// principal's.
	Roles []string
	// Tenant is the session's tenant, else the token's.
	Tenant string
	// SessionID is the live session the token names, if any.
	SessionID string
	// Limit is the per-user rate limit outcome, when the caller was counted.
	Limit *ratelimit.Result

	denial *denial
}

// denial describes one way a request is refused: the HTTP status, the
// OAuth-style error code of the JSON body and of the WWW-Authenticate
// challenge, and the reason code.
type denial struct {
	status      int
	code        string // body "error"
	challenge   string // WWW-Authenticate error=, "" for none (RFC 6750 §3.1)
	reason      string
	description string
}

var (
	errMissingCredentials = &denial{
		status: http.StatusUnauthorized, code: "invalid_request", reason: ReasonMissingCredentials,
		description: "authentication required",
	}
	errWrongScheme = &denial{
		status: http.StatusUnauthorized, code: "invalid_request", challenge: "invalid_request", reason: ReasonWrongScheme,
		description: "authorization scheme must be Bearer",
	}
	errMultipleCredentials = &denial{
		status: http.StatusBadRequest, code: "invalid_request", challenge: "invalid_request", reason: ReasonMultipleCredentials,
		description: "more than one credential sent",
	}
	errEmptyToken = &denial{
		status: http.StatusUnauthorized, code: "invalid_token", challenge: "invalid_token", reason: ReasonInvalidToken,
		description: "empty bearer token",
	}
	errNoRoute = &denial{
		status: http.StatusForbidden, code: "access_denied", reason: ReasonNoRoute,
		description: "no authorization rule matches this request",
	}
	errInsufficientPermission = &denial{
		status: http.StatusForbidden, code: "access_denied", reason: ReasonInsufficientPermission,
		description: "insufficient permission",
	}
	errTokenRevoked = &denial{
		status: http.StatusUnauthorized, code: "invalid_token", challenge: "invalid_token", reason: ReasonTokenRevoked,
		description: "token has been revoked",
	}
	errSessionInvalid = &denial{
		status: http.StatusUnauthorized, code: "invalid_token", challenge: "invalid_token", reason: ReasonSessionInvalid,
		description: "session has expired or been revoked",
	}
	errSessionRequired = &denial{
		status: http.StatusUnauthorized, code: "invalid_token", challenge: "invalid_token", reason: ReasonSessionRequired,
		description: "token does not belong to a session",
	}
	errSessionUnavailable = &denial{
		status: http.StatusServiceUnavailable, code: "temporarily_unavailable", reason: ReasonSessionUnavailable,
		description: "session store unavailable, retry later",
	}
	errKeysUnavailable = &denial{
		status: http.StatusServiceUnavailable, code: "temporarily_unavailable", reason: ReasonKeysUnavailable,
		description: "token keys are not available yet, retry later",
	}
)

// invalidToken is the denial for a token the verifier rejected; the
// verifier's message is written to be shown to clients.
func invalidToken(msg string) *denial {
	return &denial{
		status: http.StatusUnauthorized, code: "invalid_token", challenge: "invalid_token", reason: ReasonInvalidToken,
		description: msg,
	}
}

// routeMisconfigured is the denial for Envoy per-route settings the server
// cannot honour. It is a 500 and not an RPC error: an RPC error would let
// Envoy's failure_mode_allow wave the request through.
func routeMisconfigured(msg string) *denial {
	return &denial{
		status: http.StatusInternalServerError, code: "server_error", reason: ReasonRouteMisconfigured,
		description: msg,
	}
}

func (d *Decision) deny(den *denial) {
	d.Allowed = false
	d.denial = den
	d.Reason = den.reason
	d.Status = den.status
	d.Description = den.description
}
