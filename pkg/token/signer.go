package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Signer mints tokens for development and tests (the `token` subcommand).
// Production tokens come from the identity provider.
type Signer struct {
	issuer   string
	audience string
	kid      string
	method   jwt.SigningMethod
	key      crypto.Signer
}

// MintClaims are the per-token values of Signer.Mint.
type MintClaims struct {
	Subject   string
	Tenant    string
	SessionID string
	Roles     []string
	// TTL is the lifetime: exp = now + TTL. It must be positive.
	TTL time.Duration
}

// NewSigner loads the private key (PKCS#8, PKCS#1 RSA or SEC1 EC PEM). An
// empty Algorithm is derived from the key: RS256, ES256, ES384 or EdDSA.
func NewSigner(cfg SigningConfig) (*Signer, error) {
	var errs fieldErrors
	cfg.validate("signing", &errs)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	key, err := loadPrivateKey(cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("signing.key_file: %q: %w", cfg.KeyFile, err)
	}
	alg := cfg.Algorithm
	if alg == "" {
		alg = defaultAlgorithm(key.Public())
	}
	if !keyFits(alg, key.Public()) || !usablePublicKey(key.Public()) {
		return nil, fmt.Errorf("signing.algorithm: %q does not fit the %T in %q", alg, key, cfg.KeyFile)
	}
	return &Signer{
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		kid:      cfg.KeyID,
		method:   signingMethod(alg),
		key:      key,
	}, nil
}

// Mint signs a token with iss, aud, sub, iat, nbf, exp, a random jti and,
// when non-empty, "roles" (array), "tenant" and "sid". The kid header is set.
// Values a Verifier would refuse are refused here too.
func (s *Signer) Mint(now time.Time, c MintClaims) (string, error) {
	if c.TTL <= 0 {
		return "", fmt.Errorf("mint: TTL must be positive, got %s", c.TTL)
	}
	if c.Subject == "" {
		return "", errors.New("mint: subject is required")
	}
	for name, v := range map[string]string{"subject": c.Subject, "tenant": c.Tenant, "sid": c.SessionID} {
		if err := checkSafeString(v); err != nil {
			return "", fmt.Errorf("mint: %s: %w", name, err)
		}
	}
	if len(c.Roles) > maxRoles {
		return "", fmt.Errorf("mint: %d roles exceed the limit of %d", len(c.Roles), maxRoles)
	}
	for i, r := range c.Roles {
		if err := checkRole(r); err != nil {
			return "", fmt.Errorf("mint: roles[%d]: %w", i, err)
		}
	}
	claims := c.jwtClaims(s.issuer, s.audience, now.Unix(), now.Add(c.TTL).Unix(), rand.Text())
	t := jwt.NewWithClaims(s.method, claims)
	t.Header["kid"] = s.kid
	signed, err := t.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("mint: %w", err)
	}
	return signed, nil
}

// loadPrivateKey reads the first PEM block of path as a private key.
func loadPrivateKey(path string) (crypto.Signer, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unsupported PEM block %q (want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", block.Type)
	}
	if err != nil {
		return nil, err
	}
	switch k := key.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return k.(crypto.Signer), nil
	}
	return nil, fmt.Errorf("unsupported private key %T", key)
}

// defaultAlgorithm is the natural JWS algorithm for a public key.
func defaultAlgorithm(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RS256"
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P384() {
			return "ES384"
		}
		return "ES256"
	case ed25519.PublicKey:
		return "EdDSA"
	}
	return ""
}

// jwtClaims is the claim set of a minted token: the registered claims, and
// roles, tenant and sid (where this package's default claim mapping reads
// them) when set.
func (c MintClaims) jwtClaims(iss, aud string, iat, exp int64, jti string) jwt.MapClaims {
	claims := jwt.MapClaims{
		"iss": iss,
		"aud": aud,
		"sub": c.Subject,
		"iat": iat,
		"nbf": iat,
		"exp": exp,
		"jti": jti,
	}
	if len(c.Roles) > 0 {
		claims[DefaultRolesClaim] = c.Roles
	}
	if c.Tenant != "" {
		claims[DefaultTenantClaim] = c.Tenant
	}
	if c.SessionID != "" {
		claims[DefaultSessionIDClaim] = c.SessionID
	}
	return claims
}
