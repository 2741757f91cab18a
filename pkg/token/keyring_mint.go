package token

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issued is one token minted by a KeyRing.
type Issued struct {
	// Token is the compact JWS. It is a credential: never log it.
	Token string
	// ID is the "jti" claim, unique per token.
	ID string
	// KeyID is the "kid" header: the key that signed it.
	KeyID string
	// IssuedAt is "iat" (and "nbf"), whole seconds.
	IssuedAt time.Time
	// ExpiresAt is "exp", whole seconds.
	ExpiresAt time.Time
}

// Validate reports, as *FieldError values ("subject", "tenant",
// "session_id", "roles[2]") joined with errors.Join, every value a Verifier
// would refuse: a missing subject, control characters, invalid UTF-8,
// over-long values, too many roles, roles with commas or spaces. TTL is not
// checked here (the minting call does). Callers validate before side effects
// such as storing a session, so that Mint cannot fail on the values later.
func (c MintClaims) Validate() error {
	var errs fieldErrors
	checkRequiredSafe(&errs, "subject", c.Subject)
	for _, f := range []struct{ name, val string }{{"tenant", c.Tenant}, {"session_id", c.SessionID}} {
		if err := checkSafeString(f.val); err != nil {
			errs.add(f.name, "%v", err)
		}
	}
	if len(c.Roles) > maxRoles {
		errs.add("roles", "%d roles exceed the limit of %d", len(c.Roles), maxRoles)
	}
	for i, role := range c.Roles {
		if err := checkRole(role); err != nil {
			errs.add(fmt.Sprintf("roles[%d]", i), "%v", err)
		}
	}
	return errors.Join(errs...)
}

// Mint signs a token with the active key: kid header; iss, aud, sub, iat,
// nbf, exp, a random jti and, when non-empty, "roles" (array), "tenant" and
// "sid". c.TTL is the lifetime: zero means TokenTTL, and more than TokenTTL
// is refused, so that TokenTTL bounds every token the ring signs.
func (r *KeyRing) Mint(now time.Time, c MintClaims) (Issued, error) {
	ttl := c.TTL
	if ttl == 0 {
		ttl = r.ttl
	}
	if ttl < time.Second || ttl > r.ttl {
		return Issued{}, fmt.Errorf("mint: TTL must be between 1s and %s, got %s", r.ttl, c.TTL)
	}
	if err := c.Validate(); err != nil {
		return Issued{}, fmt.Errorf("mint: %w", err)
	}
	key := r.state.Load().active
	iat := now.Unix()
	exp := now.Add(ttl).Unix()
	jti := rand.Text()
	t := jwt.NewWithClaims(key.method, c.jwtClaims(r.issuer, r.audience, iat, exp, jti))
	t.Header["kid"] = key.kid
	signed, err := t.SignedString(key.key)
	if err != nil {
		return Issued{}, fmt.Errorf("mint with key %q: %w", key.kid, err)
	}
	return Issued{
		Token:     signed,
		ID:        jti,
		KeyID:     key.kid,
		IssuedAt:  time.Unix(iat, 0).UTC(),
		ExpiresAt: time.Unix(exp, 0).UTC(),
	}, nil
}
