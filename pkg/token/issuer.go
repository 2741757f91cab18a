package token

import (
	"context"
	"slices"
)

// issuer is the runtime form of an IssuerConfig.
type issuer struct {
	name      string
	audiences []string
	algs      []string
	hmac      []byte       // HS256 secret, nil unless configured
	static    *keySet      // jwks_file and pem_keys
	remote    *jwksFetcher // nil without jwks_url
	claims    claimMapping
}

// allows reports whether alg is on the issuer's allowlist.
func (is *issuer) allows(alg string) bool { return slices.Contains(is.algs, alg) }

// generation changes when a key of the issuer is revoked.
func (is *issuer) generation() uint64 {
	if is.remote == nil {
		return 0
	}
	return is.remote.generation()
}

// acceptsAudience reports whether aud holds one of the issuer's audiences.
func (is *issuer) acceptsAudience(aud []string) bool {
	for _, a := range aud {
		if slices.Contains(is.audiences, a) {
			return true
		}
	}
	return false
}

// key picks the verification key for a token the issuer signed with alg.
// The algorithm is already on the allowlist; the key must also fit it, so a
// token cannot steer us into using, say, an RSA public key as an HMAC secret.
func (is *issuer) key(ctx context.Context, alg, kid string, hasKID bool) (any, *VerifyError) {
	if alg == algHS256 {
		// Only the configured secret, whatever the kid says.
		if is.hmac == nil {
			return nil, verifyErr(ErrUnknownKey, "")
		}
		return is.hmac, nil
	}
	l := is.lookup(alg, kid, hasKID)
	st := l.status()
	if st == keyNotFound && is.remote != nil {
		is.remote.refetch(ctx)
		l = is.lookup(alg, kid, hasKID)
		st = l.status()
		if st == keyNotFound && is.remote.current() == nil {
			return nil, verifyErr(ErrKeysUnavailable, "")
		}
	}
	switch st {
	case keyFound:
		return l.found.key, nil
	case keyWrongType:
		return nil, verifyErr(ErrUnknownKey, "signing key does not fit the token algorithm")
	case keyAmbiguous:
		return nil, verifyErr(ErrUnknownKey, "token has no kid and several signing keys match")
	case keyNeedsKID:
		return nil, verifyErr(ErrUnknownKey, "token has no kid")
	}
	return nil, verifyErr(ErrUnknownKey, "")
}

func (is *issuer) lookup(alg, kid string, hasKID bool) keyLookup {
	l := keyLookup{alg: alg, kid: kid, hasKID: hasKID}
	l.scan(is.static)
	if is.remote != nil {
		l.scan(is.remote.current())
	}
	return l
}
