package token

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// maxNumericDate (9999-12-31T23:59:59Z) bounds exp/iat/nbf so that an
// Identity never carries a time that overflows downstream arithmetic.
const maxNumericDate = 253402300799

// Verify authenticates a raw compact JWS and returns its Identity. Every
// failure is a *VerifyError wrapping one Err* sentinel. The Identity may be
// shared with the cache: callers must not modify it.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Identity, error) {
	if len(raw) > v.maxTokenBytes {
		return nil, verifyErr(ErrTooLarge, "")
	}
	var key cacheKey
	if v.cache != nil {
		key = keyOf(raw)
		if id, ok := v.cache.get(key, v.now()); ok {
			return id, nil
		}
	}
	e, ve := v.verify(ctx, raw)
	if ve != nil {
		return nil, ve
	}
	if v.cache != nil && v.now().Before(e.exp) {
		v.cache.add(key, e)
	}
	return e.id, nil
}

// verify does the full check and returns a cache entry for the token.
func (v *Verifier) verify(ctx context.Context, raw string) (*cacheEntry, *VerifyError) {
	if !compactJWSCharset(raw) {
		return nil, verifyErr(ErrMalformed, "")
	}
	var (
		is  *issuer
		gen uint64
	)
	claims := jwt.MapClaims{}
	tok, err := v.parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		var ve *VerifyError
		if is, ve = v.selectIssuer(t, claims); ve != nil {
			return nil, ve
		}
		// Read the generation before the key: if the key is revoked while
		// we verify, the entry is born stale instead of outliving the key.
		gen = is.generation()
		kid, hasKID := t.Header["kid"].(string)
		key, ve := is.key(ctx, t.Method.Alg(), kid, hasKID)
		if ve != nil {
			return nil, ve
		}
		return key, nil
	})
	if err != nil {
		return nil, v.classify(tok, err)
	}

	// The parser checked exp (required), nbf and iat against the clock with
	// leeway; iat presence, audience and claim mapping are ours.
	iat, err := claims.GetIssuedAt()
	if err != nil {
		return nil, invalidClaim("iat")
	}
	if iat == nil {
		return nil, missingClaim("iat")
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, invalidClaim("exp") // unreachable: the parser requires exp
	}
	if ve := checkNumericDates(claims); ve != nil {
		return nil, ve
	}
	aud, err := claims.GetAudience()
	switch {
	case err != nil:
		return nil, invalidClaim("aud")
	case len(aud) == 0:
		return nil, missingClaim("aud")
	case !is.acceptsAudience(aud):
		return nil, verifyErr(ErrAudience, "")
	}

	id := &Identity{
		Issuer:    is.name,
		IssuedAt:  iat.UTC(),
		ExpiresAt: exp.UTC(),
	}
	if ve := is.claims.fill(claims, id); ve != nil {
		return nil, ve
	}
	return &cacheEntry{id: id, exp: id.ExpiresAt, iss: is, gen: gen}, nil
}

// selectIssuer runs in the Keyfunc, i.e. on the unverified token: it refuses
// dangerous headers and picks the issuer from "iss", whose allowlist then
// decides whether the token's alg may be used at all.
func (v *Verifier) selectIssuer(t *jwt.Token, claims jwt.MapClaims) (*issuer, *VerifyError) {
	if ve := checkHeader(t.Header); ve != nil {
		return nil, ve
	}
	raw, ok := claims["iss"]
	if !ok {
		return nil, missingClaim("iss")
	}
	name, ok := raw.(string)
	if !ok {
		return nil, invalidClaim("iss")
	}
	is, ok := v.issuers[name]
	if !ok {
		return nil, verifyErr(ErrUnknownIssuer, "")
	}
	if !is.allows(t.Method.Alg()) {
		return nil, verifyErr(ErrUnsupportedAlgorithm, "")
	}
	return is, nil
}

// checkHeader refuses what RFC 8725 says not to trust: alg "none"; keys or
// key locations supplied by the token itself (jku, x5u, jwk, x5c); critical
// extensions, none of which we implement (RFC 7515 §4.1.11); and "typ"
// values of other kinds of JWT (RFC 8725 §3.11).
func checkHeader(h map[string]any) *VerifyError {
	if alg, _ := h["alg"].(string); strings.EqualFold(alg, "none") {
		return verifyErr(ErrForbiddenHeader, `unsecured tokens (alg "none") are not accepted`)
	}
	for _, name := range [...]string{"jku", "x5u", "jwk", "x5c", "crit"} {
		if _, ok := h[name]; ok {
			return verifyErr(ErrForbiddenHeader, fmt.Sprintf("token header %q is not allowed", name))
		}
	}
	if typ, ok := h["typ"]; ok {
		s, _ := typ.(string)
		s = strings.TrimPrefix(strings.ToLower(s), "application/")
		if s != "jwt" && s != "at+jwt" {
			return verifyErr(ErrForbiddenHeader, `token header "typ" is not a JWT access token type`)
		}
	}
	if kid, ok := h["kid"]; ok {
		if _, ok := kid.(string); !ok {
			return verifyErr(ErrMalformed, `token header "kid" is not a string`)
		}
	}
	return nil
}

// classify maps a jwt parser error onto our sentinels.
func (v *Verifier) classify(tok *jwt.Token, err error) *VerifyError {
	var ve *VerifyError
	if errors.As(err, &ve) {
		return ve // from our Keyfunc
	}
	if errors.Is(err, jwt.ErrTokenMalformed) {
		return verifyErr(ErrMalformed, "")
	}
	// The parser rejects algorithms outside the union of allowlists before
	// calling the Keyfunc, so header problems may not have been seen yet.
	if tok != nil {
		if ve := checkHeader(tok.Header); ve != nil {
			return ve
		}
	}
	switch {
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// alg missing, or unknown to the jwt library.
		if tok != nil {
			if _, ok := tok.Header["alg"].(string); ok {
				return verifyErr(ErrUnsupportedAlgorithm, "")
			}
		}
		return verifyErr(ErrMalformed, `missing token header "alg"`)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if tok != nil && tok.Method != nil && !v.algs[tok.Method.Alg()] {
			return verifyErr(ErrUnsupportedAlgorithm, "")
		}
		return verifyErr(ErrSignature, "")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return missingClaim("exp") // the only claim the parser requires
	case errors.Is(err, jwt.ErrInvalidType):
		return verifyErr(ErrInvalidClaim, "")
	case errors.Is(err, jwt.ErrTokenExpired):
		return verifyErr(ErrExpired, "")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return verifyErr(ErrNotYetValid, "")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return verifyErr(ErrNotYetValid, "token is issued in the future")
	}
	return verifyErr(ErrMalformed, "")
}

// checkNumericDates bounds exp, nbf and iat to [1970, 9999].
func checkNumericDates(claims jwt.MapClaims) *VerifyError {
	for _, name := range [...]string{"exp", "nbf", "iat"} {
		f, ok := claims[name].(float64)
		if ok && (f < 0 || f > maxNumericDate) {
			return invalidClaim(name)
		}
	}
	return nil
}

// compactJWSCharset reports whether raw holds only base64url characters and
// dots. Go's base64 decoder skips CR and LF even in strict mode, which would
// let one token have many spellings; this closes that gap.
func compactJWSCharset(raw string) bool {
	if raw == "" {
		return false
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}
