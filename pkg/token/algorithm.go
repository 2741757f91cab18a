package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"

	"github.com/golang-jwt/jwt/v5"
)

// minRSABits is the smallest RSA modulus accepted, per RFC 8725 §3.5 and
// NIST SP 800-131A (1024-bit RSA is no longer considered safe).
const minRSABits = 2048

// algHS256 is the only symmetric algorithm, handled apart from the keysets.
const algHS256 = "HS256"

// signingMethod returns the jwt implementation of a supported "alg", or nil.
func signingMethod(alg string) jwt.SigningMethod {
	switch alg {
	case "RS256":
		return jwt.SigningMethodRS256
	case "RS384":
		return jwt.SigningMethodRS384
	case "RS512":
		return jwt.SigningMethodRS512
	case "PS256":
		return jwt.SigningMethodPS256
	case "ES256":
		return jwt.SigningMethodES256
	case "ES384":
		return jwt.SigningMethodES384
	case "EdDSA":
		return jwt.SigningMethodEdDSA
	case algHS256:
		return jwt.SigningMethodHS256
	}
	return nil
}

// supportedAlgorithm reports whether alg may appear in an issuer allowlist.
func supportedAlgorithm(alg string) bool { return signingMethod(alg) != nil }

// keyFits reports whether the public key may verify signatures made with alg.
// This is where algorithm confusion is stopped: the key type, not the token,
// decides which family of algorithm can be used.
func keyFits(alg string, key any) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch alg {
		case "RS256", "RS384", "RS512", "PS256":
			return true
		}
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// usablePublicKey reports whether key is a public key of a type and strength
// we verify with at all (some algorithm accepts it).
func usablePublicKey(key any) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return k.N != nil && k.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		return k.Curve == elliptic.P256() || k.Curve == elliptic.P384()
	case ed25519.PublicKey:
		return len(k) == ed25519.PublicKeySize
	}
	return false
}

// fitsAny reports whether key fits at least one of algs.
func fitsAny(algs []string, key any) bool {
	for _, a := range algs {
		if keyFits(a, key) {
			return true
		}
	}
	return false
}
