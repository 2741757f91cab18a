package token

import "errors"

// Sentinel kinds of verification failure. Verify wraps exactly one of them in
// a *VerifyError; test for them with errors.Is. Their messages are safe to
// show to clients.
var (
	// ErrMalformed: the token is not a well-formed compact JWS with JSON
	// header and claims in canonical base64url.
	ErrMalformed = errors.New("token is malformed")
	// ErrTooLarge: the token is longer than Config.MaxTokenBytes.
	ErrTooLarge = errors.New("token is too large")
	// ErrUnsupportedAlgorithm: the header "alg" is not allowed for the issuer.
	ErrUnsupportedAlgorithm = errors.New("token signing algorithm is not allowed")
	// ErrForbiddenHeader: the header carries a parameter we refuse (alg
	// "none", jku, x5u, jwk, x5c, crit) or an unexpected "typ".
	ErrForbiddenHeader = errors.New("token header is not allowed")
	// ErrUnknownIssuer: "iss" names no configured issuer.
	ErrUnknownIssuer = errors.New("unknown token issuer")
	// ErrUnknownKey: the issuer has no key that matches the token's "kid"
	// and fits its algorithm.
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("token signature is invalid")
	// ErrExpired: "exp" is in the past (beyond the leeway).
	ErrExpired = errors.New("token is expired")
	// ErrNotYetValid: "nbf" or "iat" is in the future (beyond the leeway).
	ErrNotYetValid = errors.New("token is not valid yet")
	// ErrMissingClaim: a required claim is absent.
	ErrMissingClaim = errors.New("missing required claim")
	// ErrAudience: "aud" contains none of the issuer's audiences.
	ErrAudience = errors.New("token audience is not accepted")
	// ErrInvalidClaim: a claim has the wrong type or a value that is unsafe
	// to forward (control characters, invalid UTF-8, too long, ...).
	ErrInvalidClaim = errors.New("token claim is invalid")
	// ErrKeysUnavailable: the issuer is known but none of its keys could be
	// loaded yet. Unlike every other kind this is a server-side fault (503).
	ErrKeysUnavailable = errors.New("signing keys are not available")
)

// VerifyError is the error returned by Verifier.Verify. Its message is short
// and safe to show to clients: it never contains the token, claim values or
// key material, only the kind and, at most, the name of a claim or header.
type VerifyError struct {
	// Kind is one of the Err* sentinels of this package.
	Kind error
	// Detail optionally refines Kind, e.g. `missing required claim "exp"`.
	// It must be built from constants and claim names only.
	Detail string
}

// Error returns Detail when set and the message of Kind otherwise.
func (e *VerifyError) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	return e.Kind.Error()
}

// Unwrap returns Kind so that errors.Is(err, ErrExpired) works.
func (e *VerifyError) Unwrap() error { return e.Kind }

// verifyErr builds a *VerifyError; detail may be empty.
func verifyErr(kind error, detail string) *VerifyError {
	return &VerifyError{Kind: kind, Detail: detail}
}
