package token

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	issMain   = "https://idp.example"     // RS256 PS256 ES256 EdDSA, pem keys with kids
	issHMAC   = "https://hmac.example"    // HS256 only
	issRSA    = "https://rs-only.example" // RS256 only
	issMixed  = "https://mixed.example"   // RS256 and HS256
	issNested = "https://nested.example"  // roles at realm_access.roles, no-kid key
)

// tableVerifier is the verifier shared by the table tests: static keys only,
// cache disabled so that every case exercises full verification.
func tableVerifier(t *testing.T) *Verifier {
	t.Helper()
	k := testKeys()
	secret := writeFile(t, "secret", append(append([]byte{}, k.hmac...), '\n'))
	cfg := Config{
		Cache: CacheConfig{Disabled: true},
		Issuers: []IssuerConfig{
			{
				Issuer:     issMain,
				Audiences:  []string{"api", "other"},
				Algorithms: []string{"RS256", "PS256", "ES256", "EdDSA"},
				PEMKeys: []PEMKey{
					{KeyID: "rsa1", File: writePublicPEM(t, &k.rsa.PublicKey)},
					{KeyID: "ec1", File: writePublicPEM(t, &k.ec256.PublicKey)},
					{KeyID: "ed1", File: writePublicPEM(t, k.ed.Public())},
				},
			},
			{Issuer: issHMAC, Audiences: []string{"api"}, Algorithms: []string{"HS256"}, HMACSecretFile: secret},
			{
				Issuer: issRSA, Audiences: []string{"api"}, Algorithms: []string{"RS256"},
				PEMKeys: []PEMKey{{KeyID: "rsa1", File: writePublicPEM(t, &k.rsa.PublicKey)}},
			},
			{
				Issuer: issMixed, Audiences: []string{"api"}, Algorithms: []string{"RS256", "HS256"},
				PEMKeys:        []PEMKey{{KeyID: "rsa1", File: writePublicPEM(t, &k.rsa.PublicKey)}},
				HMACSecretFile: secret,
			},
			{
				Issuer: issNested, Audiences: []string{"api"}, Algorithms: []string{"RS256"},
				PEMKeys: []PEMKey{{File: writePublicPEM(t, &k.rsa2.PublicKey)}},
				Claims:  ClaimsConfig{Roles: "realm_access.roles", Tenant: "org.id"},
			},
		},
	}
	return newVerifier(t, cfg, WithClock(func() time.Time { return testNow }))
}

func TestVerify(t *testing.T) {
	k := testKeys()
	v := tableVerifier(t)
	now := testNow
	base := claimsAt(issMain, now)
	rsaKid := map[string]any{"kid": "rsa1"}
	rs256 := func(c map[string]any) string { return sign(t, "RS256", k.rsa, rsaKid, c) }
	rsaPEM := publicPEM(t, &k.rsa.PublicKey)

	valid := rs256(base)
	parts := strings.Split(valid, ".")

	tests := []struct {
		name    string
		token   string
		wantErr error
		want    *Identity // checked when wantErr is nil
	}{
		{
			name:  "valid RS256",
			token: rs256(with(base, "tenant", "acme", "sid", "s-1")),
			want: &Identity{
				Subject: "user-1", Issuer: issMain, Tenant: "acme", SessionID: "s-1", TokenID: "jti-1",
				Roles: []string{"reader", "writer"}, IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute),
			},
		},
		{name: "valid PS256", token: sign(t, "PS256", k.rsa, rsaKid, base), want: identity(issMain, base)},
		{name: "valid ES256", token: sign(t, "ES256", k.ec256, map[string]any{"kid": "ec1"}, base), want: identity(issMain, base)},
		{name: "valid EdDSA", token: sign(t, "EdDSA", k.ed, map[string]any{"kid": "ed1"}, base), want: identity(issMain, base)},
		{
			name:  "valid HS256 with 32-byte secret",
			token: sign(t, "HS256", k.hmac, nil, with(base, "iss", issHMAC)),
			want:  identity(issHMAC, with(base, "iss", issHMAC)),
		},
		{name: "valid typ at+jwt", token: sign(t, "RS256", k.rsa, map[string]any{"kid": "rsa1", "typ": "at+jwt"}, base), want: identity(issMain, base)},
		{name: "aud array containing an accepted audience", token: rs256(with(base, "aud", []string{"x", "other"})), want: identity(issMain, base)},
		{name: "expired", token: rs256(with(base, "exp", now.Add(-31*time.Second).Unix())), wantErr: ErrExpired},
		{
			name:  "expired within leeway",
			token: rs256(with(base, "iat", now.Add(-time.Hour).Unix(), "exp", now.Add(-20*time.Second).Unix())),
			want: &Identity{
				Subject: "user-1", Issuer: issMain, TokenID: "jti-1", Roles: []string{"reader", "writer"},
				IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-20 * time.Second),
			},
		},
		{name: "not yet valid (nbf)", token: rs256(with(base, "nbf", now.Add(time.Minute).Unix())), wantErr: ErrNotYetValid},
		{name: "nbf within leeway", token: rs256(with(base, "nbf", now.Add(20*time.Second).Unix())), want: identity(issMain, base)},
		{name: "iat in the future", token: rs256(with(base, "iat", now.Add(time.Minute).Unix())), wantErr: ErrNotYetValid},
		{name: "wrong issuer", token: rs256(with(base, "iss", "https://evil.example")), wantErr: ErrUnknownIssuer},
		{name: "missing issuer", token: rs256(with(base, "iss", nil)), wantErr: ErrMissingClaim},
		{name: "wrong audience", token: rs256(with(base, "aud", "someone-else")), wantErr: ErrAudience},
		{name: "missing audience", token: rs256(with(base, "aud", nil)), wantErr: ErrMissingClaim},
		{name: "missing exp", token: rs256(with(base, "exp", nil)), wantErr: ErrMissingClaim},
		{name: "missing iat", token: rs256(with(base, "iat", nil)), wantErr: ErrMissingClaim},
		{name: "missing sub", token: rs256(with(base, "sub", nil)), wantErr: ErrMissingClaim},
		{name: "empty sub", token: rs256(with(base, "sub", "")), wantErr: ErrMissingClaim},
		{name: "exp of wrong type", token: rs256(with(base, "exp", "tomorrow")), wantErr: ErrInvalidClaim},
		{name: "exp beyond year 9999", token: rs256(with(base, "exp", int64(maxNumericDate+1))), wantErr: ErrInvalidClaim},
		{name: "alg none", token: rawToken(`{"alg":"none","typ":"JWT"}`, mustJSON(t, base), nil), wantErr: ErrForbiddenHeader},
		{name: "alg NONE", token: rawToken(`{"alg":"NONE"}`, mustJSON(t, base), nil), wantErr: ErrForbiddenHeader},
		{
			name:    "algorithm confusion: HS256 keyed with the RSA public key PEM",
			token:   sign(t, "HS256", rsaPEM, rsaKid, base),
			wantErr: ErrUnsupportedAlgorithm,
		},
		{
			name:    "algorithm confusion on an issuer that also allows HS256",
			token:   sign(t, "HS256", rsaPEM, rsaKid, with(base, "iss", issMixed)),
			wantErr: ErrSignature,
		},
		{name: "alg not in issuer allowlist", token: sign(t, "ES256", k.ec256, map[string]any{"kid": "ec1"}, with(base, "iss", issRSA)), wantErr: ErrUnsupportedAlgorithm},
		{name: "alg allowed by no issuer", token: sign(t, "RS512", k.rsa, rsaKid, base), wantErr: ErrUnsupportedAlgorithm},
		{name: "alg unknown to the library", token: rawToken(`{"alg":"XS999","kid":"rsa1"}`, mustJSON(t, base), []byte("sig")), wantErr: ErrUnsupportedAlgorithm},
		{name: "RS256 token whose kid names an EC key", token: sign(t, "RS256", k.rsa, map[string]any{"kid": "ec1"}, base), wantErr: ErrUnknownKey},
		{name: "ES256 token whose kid names an RSA key", token: sign(t, "ES256", k.ec256, rsaKid, base), wantErr: ErrUnknownKey},
		{name: "unknown kid", token: sign(t, "RS256", k.rsa, map[string]any{"kid": "nope"}, base), wantErr: ErrUnknownKey},
		{name: "no kid where keys have kids", token: sign(t, "RS256", k.rsa, nil, base), wantErr: ErrUnknownKey},
		{name: "kid not a string", token: sign(t, "RS256", k.rsa, map[string]any{"kid": 7}, base), wantErr: ErrMalformed},
		{name: "signed by another key", token: sign(t, "RS256", k.rsa3, rsaKid, base), wantErr: ErrSignature},
		{name: "tampered payload", token: parts[0] + "." + b64(mustJSON(t, with(base, "sub", "admin"))) + "." + parts[2], wantErr: ErrSignature},
		{name: "jku header", token: sign(t, "RS256", k.rsa, map[string]any{"kid": "rsa1", "jku": "https://evil.example/jwks"}, base), wantErr: ErrForbiddenHeader},
		{name: "x5u header", token: sign(t, "RS256", k.rsa, map[string]any{"kid": "rsa1", "x5u": "https://evil.example/cert"}, base), wantErr: ErrForbiddenHeader},
		{name: "jwk header", token: sign(t, "RS256", k.rsa, map[string]any{"kid": "rsa1", "jwk": map[string]any{"kty": "RSA"}}, base), wantErr: ErrForbiddenHeader},
		{name: "x5c header", token: sign(t, "RS256", k.rsa, map[string]any{"kid": "rsa1", "x5c": []string{"MIIB"}}, base), wantErr: ErrForbiddenHeader},
		{name: "crit header", token: sign(t, "RS256", k.rsa, map[string]any{"kid": "rsa1", "crit": []string{"exp"}, "exp": 1}, base), wantErr: ErrForbiddenHeader},
		{name: "jku header with an alg no issuer allows", token: sign(t, "HS384", []byte("k"), map[string]any{"jku": "https://evil.example"}, base), wantErr: ErrForbiddenHeader},
		{name: "foreign typ", token: sign(t, "RS256", k.rsa, map[string]any{"kid": "rsa1", "typ": "dpop+jwt"}, base), wantErr: ErrForbiddenHeader},
		{name: "oversized token", token: rs256(with(base, "pad", strings.Repeat("x", DefaultMaxTokenBytes))), wantErr: ErrTooLarge},
		{name: "empty token", token: "", wantErr: ErrMalformed},
		{name: "two segments", token: parts[0] + "." + parts[1], wantErr: ErrMalformed},
		{name: "four segments", token: valid + ".x", wantErr: ErrMalformed},
		{name: "bad base64 in header", token: "*" + parts[0][1:] + "." + parts[1] + "." + parts[2], wantErr: ErrMalformed},
		{name: "bad base64 in payload", token: parts[0] + "." + parts[1][:5] + "!" + parts[1][6:] + "." + parts[2], wantErr: ErrMalformed},
		{name: "bad base64 in signature", token: parts[0] + "." + parts[1] + "." + parts[2][:5] + "$" + parts[2][6:], wantErr: ErrMalformed},
		{name: "impossible base64 length in signature", token: parts[0] + "." + parts[1] + "." + parts[2] + "AAA", wantErr: ErrMalformed},
		{name: "padding in signature", token: valid + "==", wantErr: ErrMalformed},
		{name: "non-canonical base64 in signature", token: parts[0] + "." + parts[1] + "." + nonCanonical(t, parts[2]), wantErr: ErrMalformed},
		{name: "CRLF inside the token", token: parts[0] + "." + parts[1][:4] + "\r\n" + parts[1][4:] + "." + parts[2], wantErr: ErrMalformed},
		{name: "malformed JSON header", token: b64(`{"alg":"RS256"`) + "." + parts[1] + "." + parts[2], wantErr: ErrMalformed},
		{name: "malformed JSON payload", token: parts[0] + "." + b64(`{"sub":`) + "." + parts[2], wantErr: ErrMalformed},
		{name: "payload is not an object", token: parts[0] + "." + b64(`[1,2]`) + "." + parts[2], wantErr: ErrMalformed},
		{name: "JWE (five segments)", token: "a.b.c.d.e", wantErr: ErrMalformed},
		{name: "CR LF in sub", token: rs256(with(base, "sub", "user\r\nX-Admin: yes")), wantErr: ErrInvalidClaim},
		{name: "NUL in tenant", token: rs256(with(base, "tenant", "acme\x00")), wantErr: ErrInvalidClaim},
		{name: "DEL in sid", token: rs256(with(base, "sid", "s\x7f")), wantErr: ErrInvalidClaim},
		{name: "invalid UTF-8 in sub", token: rawSigned(t, `{"alg":"RS256","kid":"rsa1"}`, `{"iss":"`+issMain+`","aud":"api","sub":"`+"\xff"+`","iat":`+itoa(now.Unix())+`,"exp":`+itoa(now.Add(time.Minute).Unix())+`}`), wantErr: ErrInvalidClaim},
		{name: "LF in a role", token: rs256(with(base, "roles", []string{"reader\nadmin"})), wantErr: ErrInvalidClaim},
		{name: "LF in a space-separated roles string", token: rs256(with(base, "roles", "reader\nadmin")), wantErr: ErrInvalidClaim},
		{name: "comma in a role", token: rs256(with(base, "roles", []string{"reader,admin"})), wantErr: ErrInvalidClaim},
		{name: "space in a role", token: rs256(with(base, "roles", []string{"reader admin"})), wantErr: ErrInvalidClaim},
		{name: "empty role", token: rs256(with(base, "roles", []string{""})), wantErr: ErrInvalidClaim},
		{name: "role not a string", token: rs256(with(base, "roles", []any{"a", 1})), wantErr: ErrInvalidClaim},
		{name: "roles an object", token: rs256(with(base, "roles", map[string]any{"a": 1})), wantErr: ErrInvalidClaim},
		{name: "too many roles", token: rs256(with(base, "roles", manyRoles(maxRoles+1))), wantErr: ErrInvalidClaim},
		{name: "overlong tenant", token: rs256(with(base, "tenant", strings.Repeat("t", maxClaimBytes+1))), wantErr: ErrInvalidClaim},
		{name: "tenant not a string", token: rs256(with(base, "tenant", 42)), wantErr: ErrInvalidClaim},
		{name: "roles as array", token: rs256(with(base, "roles", []string{"a", "b"})), want: withRoles(identity(issMain, base), "a", "b")},
		{name: "roles as space-separated string", token: rs256(with(base, "roles", "a  b c")), want: withRoles(identity(issMain, base), "a", "b", "c")},
		{name: "roles absent", token: rs256(with(base, "roles", nil)), want: withRoles(identity(issMain, base))},
		{
			name: "roles at a nested path, key without kid",
			token: sign(t, "RS256", k.rsa2, nil, with(base, "iss", issNested, "roles", []string{"ignored"},
				"realm_access", map[string]any{"roles": []string{"admin", "ops"}}, "org", map[string]any{"id": "acme"})),
			want: &Identity{
				Subject: "user-1", Issuer: issNested, Tenant: "acme", TokenID: "jti-1", Roles: []string{"admin", "ops"},
				IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute),
			},
		},
		{
			name:  "nested path given as a literal top-level claim name",
			token: sign(t, "RS256", k.rsa2, nil, with(base, "iss", issNested, "realm_access.roles", "lit")),
			want:  withRoles(identity(issNested, with(base, "iss", issNested)), "lit"),
		},
		{
			name:  "nested path through a non-object",
			token: sign(t, "RS256", k.rsa2, nil, with(base, "iss", issNested, "realm_access", "x")),
			want:  withRoles(identity(issNested, with(base, "iss", issNested))),
		},
		{name: "kid on a key without kid", token: sign(t, "RS256", k.rsa2, map[string]any{"kid": "x"}, with(base, "iss", issNested)), wantErr: ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(t.Context(), tt.token)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Verify() error = %v, want %v", err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("Verify() returned an identity with an error")
				}
				checkClientSafe(t, err, tt.token)
				return
			}
			if err != nil {
				t.Fatalf("Verify() error = %v", err)
			}
			if !identityEqual(got, tt.want) {
				t.Errorf("Verify() =\n %+v\nwant\n %+v", *got, *tt.want)
			}
		})
	}
}

// TestVerifyErrorDetails pins the client-visible wording of a few errors.
func TestVerifyErrorDetails(t *testing.T) {
	k := testKeys()
	v := tableVerifier(t)
	base := claimsAt(issMain, testNow)
	rs := func(c map[string]any) string { return sign(t, "RS256", k.rsa, map[string]any{"kid": "rsa1"}, c) }
	tests := []struct {
		name, token, want string
	}{
		{"missing exp", rs(with(base, "exp", nil)), `missing required claim "exp"`},
		{"missing iat", rs(with(base, "iat", nil)), `missing required claim "iat"`},
		{"expired", rs(with(base, "exp", testNow.Add(-time.Hour).Unix())), "token is expired"},
		{"jku", sign(t, "RS256", k.rsa, map[string]any{"kid": "rsa1", "jku": "x"}, base), `token header "jku" is not allowed`},
		{"bad role", rs(with(base, "roles", []string{"a,b"})), `invalid claim "roles"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(t.Context(), tt.token)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Verify() error = %v, want %q", err, tt.want)
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not a *VerifyError", err)
			}
		})
	}
}

// checkClientSafe asserts the error is a short *VerifyError that leaks
// neither the token nor claim values.
func checkClientSafe(t *testing.T, err error, token string) {
	t.Helper()
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("error %T is not a *VerifyError", err)
	}
	msg := err.Error()
	for _, secret := range []string{"user-1", "acme", "jti-1", "evil", "someone-else", "admin", "reader"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error %q leaks claim value %q", msg, secret)
		}
	}
	if len(token) > 10 && strings.Contains(msg, token[:10]) {
		t.Errorf("error %q leaks the token", msg)
	}
	if len(msg) > 80 {
		t.Errorf("error %q is too long for a client message", msg)
	}
}

func identity(iss string, c map[string]any) *Identity {
	id := &Identity{
		Subject:   c["sub"].(string),
		Issuer:    iss,
		TokenID:   "jti-1",
		IssuedAt:  time.Unix(c["iat"].(int64), 0).UTC(),
		ExpiresAt: time.Unix(c["exp"].(int64), 0).UTC(),
	}
	if r, ok := c["roles"].([]string); ok {
		id.Roles = r
	}
	return id
}

func withRoles(id *Identity, roles ...string) *Identity {
	id.Roles = roles
	return id
}

func identityEqual(a, b *Identity) bool {
	return a.Subject == b.Subject && a.Tenant == b.Tenant && a.Issuer == b.Issuer &&
		a.SessionID == b.SessionID && a.TokenID == b.TokenID && slices.Equal(a.Roles, b.Roles) &&
		a.IssuedAt.Equal(b.IssuedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}

func manyRoles(n int) []string {
	r := make([]string, n)
	for i := range r {
		r[i] = "r" + itoa(int64(i))
	}
	return r
}

// nonCanonical re-spells the last base64url character of seg so that it
// decodes to the same bytes when the unused low bits are ignored.
func nonCanonical(t testing.TB, seg string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(seg)%4 == 0 {
		t.Fatalf("segment length %d has no spare bits", len(seg))
	}
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[last|1])
}

// rawSigned signs arbitrary header and payload bytes with the test RSA key.
func rawSigned(t *testing.T, header, payload string) string {
	t.Helper()
	signing := b64(header) + "." + b64(payload)
	sig, err := jwt.SigningMethodRS256.Sign(signing, testKeys().rsa)
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + b64(string(sig))
}
