package token

import (
	"errors"
	"fmt"
	"time"
)

// DefaultIssuedTokenTTL is the lifetime of tokens minted by a KeyRing when
// IssuingConfig.TokenTTL is zero. Short, because a session-bound token is
// refreshed cheaply and a token without a session check cannot be recalled.
const DefaultIssuedTokenTTL = 15 * time.Minute

// Bounds on IssuingConfig.TokenTTL: they catch typos ("15" read as 15ns, a
// year-long token), not tune. The maximum also bounds how long a subject's
// not-before must be kept after a revocation.
const (
	minIssuedTokenTTL = 10 * time.Second
	maxIssuedTokenTTL = 24 * time.Hour
)

// IssuingConfig configures the keys this server signs its own access tokens
// with (the session admin API) and the claims they carry. Several keys make
// rotation possible: add the new key and make it active, keep the old one
// listed (so it stays in the JWKS and verifiers keep accepting its tokens)
// until TokenTTL has passed, then remove it.
//
//	issuing:
//	  issuer: https://auth.example.com
//	  audience: api
//	  token_ttl: 15m
//	  active_kid: 2026-02
//	  keys:
//	    - {kid: 2026-01, key_file: keys/2026-01.pem}
//	    - {kid: 2026-02, key_file: keys/2026-02.pem, algorithm: ES256}
type IssuingConfig struct {
	// Issuer is the "iss" of minted tokens; required.
	Issuer string `yaml:"issuer"`
	// Audience is the "aud" of minted tokens; required.
	Audience string `yaml:"audience"`
	// Keys are the private keys: the active one signs, all are published.
	Keys []IssuingKey `yaml:"keys"`
	// ActiveKeyID is the kid of the key that signs. It may be left empty
	// only when there is exactly one key.
	ActiveKeyID string `yaml:"active_kid"`
	// TokenTTL is the lifetime of a minted token (default 15m, at most 24h).
	TokenTTL time.Duration `yaml:"token_ttl"`
}

// IssuingKey is one private signing key of a KeyRing.
type IssuingKey struct {
	// KeyID is the "kid" header of the tokens it signs and of its JWK;
	// required and unique.
	KeyID string `yaml:"kid"`
	// KeyFile is a private key PEM: PKCS#8, PKCS#1 RSA or SEC1 EC.
	KeyFile string `yaml:"key_file"`
	// Algorithm defaults to the natural one for the key (RS256, ES256,
	// ES384, EdDSA); RS384, RS512 and PS256 are also possible for RSA.
	Algorithm string `yaml:"algorithm"`
}

// Validate fills defaults in place and checks every field. Each problem is a
// *FieldError naming the field relative to IssuingConfig ("keys[1].kid");
// several are joined with errors.Join. Key files are read by NewKeyRing.
func (c *IssuingConfig) Validate() error {
	var errs fieldErrors
	checkRequiredSafe(&errs, "issuer", c.Issuer)
	checkRequiredSafe(&errs, "audience", c.Audience)
	if c.TokenTTL == 0 {
		c.TokenTTL = DefaultIssuedTokenTTL
	}
	checkDuration(&errs, "token_ttl", c.TokenTTL, minIssuedTokenTTL, maxIssuedTokenTTL)

	if len(c.Keys) == 0 {
		errs.add("keys", "at least one key is required")
	}
	kids := make(map[string]int, len(c.Keys))
	for i, k := range c.Keys {
		path := fmt.Sprintf("keys[%d]", i)
		if k.KeyFile == "" {
			errs.add(path+".key_file", "is required")
		}
		if err := checkKeyID(k.KeyID); err != nil {
			errs.add(path+".kid", "%v", err)
		} else if prev, dup := kids[k.KeyID]; dup {
			errs.add(path+".kid", "duplicate kid %q (also keys[%d])", k.KeyID, prev)
		} else {
			kids[k.KeyID] = i
		}
		if err := checkSigningAlgorithm(k.Algorithm); err != nil {
			errs.add(path+".algorithm", "%v", err)
		}
	}

	if c.ActiveKeyID == "" && len(c.Keys) == 1 {
		c.ActiveKeyID = c.Keys[0].KeyID
	}
	switch _, known := kids[c.ActiveKeyID]; {
	case c.ActiveKeyID == "" && len(c.Keys) > 1:
		errs.add("active_kid", "is required when there are several keys")
	case c.ActiveKeyID != "" && !known && len(kids) > 0:
		errs.add("active_kid", "%q is not the kid of any key", c.ActiveKeyID)
	}
	return errors.Join(errs...)
}

// checkRequiredSafe requires a non-empty value that is safe in a claim.
func checkRequiredSafe(errs *fieldErrors, field, v string) {
	if v == "" {
		errs.add(field, "is required")
	} else if err := checkSafeString(v); err != nil {
		errs.add(field, "%v", err)
	}
}

// checkKeyID requires a non-empty kid that is safe in a header and a JWK.
func checkKeyID(kid string) error {
	if kid == "" {
		return errors.New("is required")
	}
	return checkSafeString(kid)
}

// checkSigningAlgorithm accepts "" (derived from the key) and every
// supported asymmetric algorithm.
func checkSigningAlgorithm(alg string) error {
	if alg != "" && (!supportedAlgorithm(alg) || alg == algHS256) {
		return fmt.Errorf("unsupported signing algorithm %q (allowed: RS256 RS384 RS512 PS256 ES256 ES384 EdDSA)", alg)
	}
	return nil
}
