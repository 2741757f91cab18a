// Package token owns bearer-token authentication: it verifies compact JWS
// access tokens following RFC 8725 (JWT Best Current Practices) and maps
// their claims onto an Identity. It also mints development tokens (Signer).
//
// # Verification order
//
//  1. Length (Config.MaxTokenBytes), then the verified-token cache, keyed by
//     the SHA-256 of the raw token and never used at or after exp.
//  2. Parsing with one jwt.Parser: strict base64url (plus a charset check,
//     since Go's decoder skips CR/LF even in strict mode), algorithms limited
//     to the union of all allowlists, exp required, iat checked, leeway.
//  3. In the Keyfunc, still on the unverified token: forbidden headers
//     (alg "none", jku, x5u, jwk, x5c, crit, foreign typ), the issuer from
//     "iss", the issuer's own algorithm allowlist, then the key by kid. The
//     key's type must fit the algorithm family (RSA for RS*/PS*, P-256 for
//     ES256, P-384 for ES384, Ed25519 for EdDSA, the configured secret for
//     HS256), so the token's alg never chooses how a key is used.
//  4. After the signature and time checks: iat presence, audience, and the
//     claim mapping, which refuses values unsafe to copy into HTTP headers.
//
// # Keys
//
// Static keys (pem_keys, jwks_file, hmac_secret_file) are read once by
// NewVerifier. A jwks_url is fetched at start, refreshed in the background
// (sooner when Cache-Control max-age asks for it) and refetched when a token
// names an unknown kid: one fetch shared by all concurrent callers and at
// most one per unknown_kid_refetch_interval. A failed or unusable response
// never replaces the last good set. When a key disappears from the set, the
// cached verifications of its issuer are invalidated.
//
// # Errors
//
// Verify returns a *VerifyError whose message is safe to show to clients and
// whose Kind is one of the Err* sentinels. ErrKeysUnavailable is the only
// server-side condition (the issuer's keys could not be loaded yet); all the
// others mean the token is not acceptable.
package token
