package token

import "time"

// Defaults filled in by Config.Validate.
const (
	DefaultLeeway                    = 30 * time.Second
	DefaultMaxTokenBytes             = 8192
	DefaultCacheMaxEntries           = 100_000
	DefaultJWKSRefreshInterval       = 5 * time.Minute
	DefaultUnknownKIDRefetchInterval = 30 * time.Second
	DefaultJWKSTimeout               = 5 * time.Second

	DefaultSubjectClaim   = "sub"
	DefaultRolesClaim     = "roles"
	DefaultTenantClaim    = "tenant"
	DefaultSessionIDClaim = "sid"
)

// Bounds checked by Config.Validate. They exist to catch typos ("30" read as
// 30ns, a 1 ms refresh that would hammer the identity provider), not to tune.
const (
	maxLeeway             = 5 * time.Minute
	minMaxTokenBytes      = 256
	maxMaxTokenBytes      = 1 << 20
	minJWKSRefresh        = time.Second
	maxJWKSTimeout        = time.Minute
	minUnknownKIDInterval = time.Millisecond
)

// Config configures authentication. pkg/config decodes it from the "authn"
// key; call Validate before use (NewVerifier does).
type Config struct {
	// Issuers lists every trusted token issuer; at least one is required.
	Issuers []IssuerConfig `yaml:"issuers"`
	// Leeway is the clock skew tolerated on exp, nbf and iat (default 30s).
	Leeway time.Duration `yaml:"leeway"`
	// MaxTokenBytes bounds the raw token length (default 8192).
	MaxTokenBytes int `yaml:"max_token_bytes"`
	// Cache configures the verified-token cache.
	Cache CacheConfig `yaml:"cache"`
	// Signing optionally holds the key used by the dev `token` subcommand.
	Signing *SigningConfig `yaml:"signing"`
}

// CacheConfig configures the verified-token cache.
type CacheConfig struct {
	// MaxEntries bounds the number of cached tokens (0 means the default,
	// 100000; negative is an error).
	MaxEntries int `yaml:"max_entries"`
	// Disabled turns the cache off.
	Disabled bool `yaml:"disabled"`
}

// IssuerConfig describes one trusted issuer and where its keys come from.
type IssuerConfig struct {
	// Issuer is the exact "iss" value; required and unique.
	Issuer string `yaml:"issuer"`
	// Audiences: a token's "aud" must contain at least one of them.
	Audiences []string `yaml:"audiences"`
	// Algorithms is the allowlist of "alg" values: RS256 RS384 RS512 PS256
	// ES256 ES384 EdDSA HS256.
	Algorithms []string `yaml:"algorithms"`
	// JWKSURL is fetched and refreshed in the background (https only unless
	// JWKS.AllowHTTP).
	JWKSURL string `yaml:"jwks_url"`
	// JWKSFile is a static JWK Set read at start-up.
	JWKSFile string `yaml:"jwks_file"`
	// PEMKeys are static public keys read at start-up.
	PEMKeys []PEMKey `yaml:"pem_keys"`
	// HMACSecretFile holds the HS256 secret (at least 32 bytes). HS256 is
	// usable only with this explicit secret.
	HMACSecretFile string `yaml:"hmac_secret_file"`
	// JWKS tunes fetching of JWKSURL.
	JWKS JWKSConfig `yaml:"jwks"`
	// Claims maps token claims onto the Identity.
	Claims ClaimsConfig `yaml:"claims"`
}

// PEMKey is a public key (RSA, EC or Ed25519; PKIX "PUBLIC KEY" or
// "CERTIFICATE" PEM) and the "kid" tokens name it by. A key with an empty
// KeyID matches only tokens without "kid".
type PEMKey struct {
	KeyID string `yaml:"kid"`  // the "kid" tokens name the key by; may be empty
	File  string `yaml:"file"` // path of the PEM file
}

// JWKSConfig tunes fetching of an issuer's jwks_url.
type JWKSConfig struct {
	// RefreshInterval is the background refresh period (default 5m). A
	// Cache-Control max-age on the response shortens it (never below 10s).
	RefreshInterval time.Duration `yaml:"refresh_interval"`
	// UnknownKIDRefetchInterval rate-limits the refetch triggered by a token
	// whose kid is unknown: at most one per interval (default 30s).
	UnknownKIDRefetchInterval time.Duration `yaml:"unknown_kid_refetch_interval"`
	// Timeout bounds one fetch (default 5s).
	Timeout time.Duration `yaml:"timeout"`
	// CAFile is an optional PEM bundle of roots trusted for jwks_url.
	CAFile string `yaml:"ca_file"`
	// AllowHTTP permits a plain http jwks_url (tests and local development).
	AllowHTTP bool `yaml:"allow_http"`
}

// ClaimsConfig names the claims that fill the Identity. Each is a dotted
// path into the claims ("realm_access.roles"); a top-level claim whose name
// is the whole path (e.g. "https://example.com/roles") wins over the walk.
type ClaimsConfig struct {
	Subject   string `yaml:"subject"`    // default "sub"; required in tokens
	Roles     string `yaml:"roles"`      // default "roles"; array or space-separated string
	Tenant    string `yaml:"tenant"`     // default "tenant"
	SessionID string `yaml:"session_id"` // default "sid"
}

// SigningConfig is the private key used by the dev `token` subcommand to mint
// tokens (see Signer).
type SigningConfig struct {
	Issuer   string `yaml:"issuer"`   // "iss" of minted tokens
	Audience string `yaml:"audience"` // "aud" of minted tokens
	// KeyFile is a private key PEM: PKCS#8, PKCS#1 RSA or SEC1 EC.
	KeyFile string `yaml:"key_file"`
	KeyID   string `yaml:"kid"` // "kid" header of minted tokens
	// Algorithm defaults to the natural one for the key (RS256, ES256,
	// ES384, EdDSA).
	Algorithm string `yaml:"algorithm"`
}
