package token

import (
	"fmt"
	"slices"
)

// WithKeyRing makes the Verifier trust the tokens a KeyRing issues: an
// issuer named ring.Issuer() accepting ring.Audience(), whose keys are the
// ring's public keys, whose algorithms are the ones those keys sign with,
// and whose claims are read where KeyRing.Mint writes them (the default
// claim names). It is how the server verifies the session tokens its admin
// API hands out without fetching its own JWKS. The ring's keys are read
// once, when the Verifier is built.
func WithKeyRing(ring *KeyRing) Option {
	return func(o *options) { o.rings = append(o.rings, ring) }
}

// ringIssuer is the issuer for a KeyRing added with WithKeyRing.
func ringIssuer(ring *KeyRing) *issuer {
	st := ring.state.Load()
	is := &issuer{
		name:      ring.Issuer(),
		audiences: []string{ring.Audience()},
		claims: newClaimMapping(ClaimsConfig{
			Subject: DefaultSubjectClaim, Roles: DefaultRolesClaim,
			Tenant: DefaultTenantClaim, SessionID: DefaultSessionIDClaim,
		}),
	}
	keys := make([]*verificationKey, 0, len(st.keys))
	for _, k := range st.keys {
		keys = append(keys, &verificationKey{kid: k.kid, alg: k.alg, key: k.key.Public()})
		if !slices.Contains(is.algs, k.alg) {
			is.algs = append(is.algs, k.alg)
		}
	}
	is.static = newKeySet(keys)
	return is
}

// addRingIssuers adds the WithKeyRing issuers; an issuer name that the
// configuration already trusts is an error, not a silent merge.
func (v *Verifier) addRingIssuers(rings []*KeyRing) error {
	for _, ring := range rings {
		is := ringIssuer(ring)
		if _, dup := v.issuers[is.name]; dup {
			return fmt.Errorf("issuer %q is both configured under authn.issuers and used for issuing: remove it from authn.issuers", is.name)
		}
		v.issuers[is.name] = is
		v.order = append(v.order, is)
		for _, a := range is.algs {
			v.algs[a] = true
		}
	}
	return nil
}
