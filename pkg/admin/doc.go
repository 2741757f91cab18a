// Package admin owns the session admin API: the gRPC service
// marty.authz.v1.SessionService (generated in proto/marty/authz/v1), which
// creates, refreshes, lists, changes and revokes server-side sessions and
// mints their access tokens with a token.KeyRing; the authentication of its
// callers; and the JWKS document that lets verifiers accept those tokens.
//
// # Tokens
//
// CreateSession stores the session first, then signs a token with the
// ring's active key: sub, roles, tenant, sid (the session id), a random
// jti, iat = nbf = now and exp = now + the ring's TokenTTL, never after the
// session's absolute expiry. RefreshSession signs a new one for a live
// session with the session's current roles and counts as activity. The
// request values are validated before anything is stored, with the rules
// the Verifier applies, so that a stored session always gets its token.
//
// # Callers
//
// Every call must be authenticated, by an admin bearer token (a file of at
// least 32 bytes, compared in constant time with "authorization: Bearer"
// metadata), by an mTLS client certificate (ServerCredentials requires one
// signed by the configured CA; the interceptor applies the optional
// allowlist of URI SANs and common names), or by both: each configured
// method must pass. New refuses a Config with neither.
//
// The check runs in UnaryInterceptor, which only looks at SessionService
// methods, so it can be chained on a server that also serves Check. The
// service's methods also refuse any call the interceptor did not
// authenticate: forgetting to install it fails closed.
//
// # Errors
//
// Store errors become gRPC statuses: session.ErrNotFound NOT_FOUND,
// session.ErrUnavailable UNAVAILABLE, session.ErrFull RESOURCE_EXHAUSTED,
// session.ErrInvalid INVALID_ARGUMENT;
// invalid requests are INVALID_ARGUMENT with the field named in the message
// and in google.rpc.BadRequest details. Session ids and tokens are secrets:
// they appear in no log line and no error message.
package admin
