package token

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: Verify never panics, always fails with a *VerifyError, and
// accepts nothing but the validly signed seeds; every mutation of them must
// be refused.
func FuzzVerify(f *testing.F) {
	k := testKeys()
	v := fuzzVerifier(f)
	base := claimsAt(issMain, testNow)
	valid := map[string]bool{
		sign(f, "RS256", k.rsa, map[string]any{"kid": "rsa1"}, base):                            true,
		sign(f, "PS256", k.rsa, map[string]any{"kid": "rsa1"}, base):                            true,
		sign(f, "ES256", k.ec256, map[string]any{"kid": "ec1"}, base):                           true,
		sign(f, "EdDSA", k.ed, map[string]any{"kid": "ed1"}, with(base, "roles", "a b")):        true,
		sign(f, "HS256", k.hmac, nil, with(base, "iss", issHMAC, "tenant", "acme", "sid", "s")): true,
	}
	for tok := range valid {
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + "." + nonCanonical(f, parts[2]))
	}
	invalid := []string{
		"",
		"a.b.c",
		"....",
		sign(f, "RS256", k.rsa, map[string]any{"kid": "rsa1"}, with(base, "exp", testNow.Add(-time.Hour).Unix())),
		sign(f, "RS256", k.rsa, map[string]any{"kid": "rsa1", "jku": "https://x"}, base),
		sign(f, "HS256", publicPEM(f, &k.rsa.PublicKey), map[string]any{"kid": "rsa1"}, base),
		rawToken(`{"alg":"none"}`, mustJSON(f, base), nil),
		rawToken(`{"alg":"RS256","kid":"rsa1","crit":["b64"],"b64":false}`, mustJSON(f, base), []byte("x")),
	}
	for _, s := range invalid {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := v.Verify(t.Context(), raw)
		if err == nil {
			if !valid[raw] {
				t.Fatalf("accepted a token that is not a validly signed seed: %q", raw)
			}
			if id == nil || id.Subject == "" {
				t.Fatalf("success without identity: %+v", id)
			}
			return
		}
		if id != nil {
			t.Fatal("identity returned with an error")
		}
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Kind == nil {
			t.Fatalf("error %v (%T) is not a *VerifyError with a Kind", err, err)
		}
	})
}

// fuzzVerifier is the table-test configuration with the cache on, so the
// fuzzer also exercises the cached path.
func fuzzVerifier(f *testing.F) *Verifier {
	k := testKeys()
	secret := writeFile(f, "secret", k.hmac)
	cfg := Config{Issuers: []IssuerConfig{
		{
			Issuer: issMain, Audiences: []string{"api"}, Algorithms: []string{"RS256", "PS256", "ES256", "EdDSA"},
			PEMKeys: []PEMKey{
				{KeyID: "rsa1", File: writePublicPEM(f, &k.rsa.PublicKey)},
				{KeyID: "ec1", File: writePublicPEM(f, &k.ec256.PublicKey)},
				{KeyID: "ed1", File: writePublicPEM(f, k.ed.Public())},
			},
		},
		{Issuer: issHMAC, Audiences: []string{"api"}, Algorithms: []string{"HS256"}, HMACSecretFile: secret},
	}}
	return newVerifier(f, cfg, WithClock(func() time.Time { return testNow }))
}
