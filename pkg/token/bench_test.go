package token

import (
	"testing"
	"time"
)

// benchVerifier: one issuer with RSA and P-256 keys, fixed clock.
func benchVerifier(b *testing.B, cached bool) *Verifier {
	k := testKeys()
	cfg := Config{
		Cache: CacheConfig{Disabled: !cached},
		Issuers: []IssuerConfig{{
			Issuer: issMain, Audiences: []string{"api"}, Algorithms: []string{"RS256", "ES256"},
			PEMKeys: []PEMKey{
				{KeyID: "rsa1", File: writePublicPEM(b, &k.rsa.PublicKey)},
				{KeyID: "ec1", File: writePublicPEM(b, &k.ec256.PublicKey)},
			},
		}},
	}
	return newVerifier(b, cfg, WithClock(func() time.Time { return testNow }))
}

func benchVerify(b *testing.B, v *Verifier, tok string) {
	ctx := b.Context()
	if _, err := v.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCached is the hot path: a token seen before.
func BenchmarkVerifyCached(b *testing.B) {
	tok := sign(b, "RS256", testKeys().rsa, map[string]any{"kid": "rsa1"}, claimsAt(issMain, testNow))
	benchVerify(b, benchVerifier(b, true), tok)
}

// BenchmarkVerifyCachedParallel shows contention on the cache lock.
func BenchmarkVerifyCachedParallel(b *testing.B) {
	tok := sign(b, "RS256", testKeys().rsa, map[string]any{"kid": "rsa1"}, claimsAt(issMain, testNow))
	v := benchVerifier(b, true)
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkVerifyUncachedRS256(b *testing.B) {
	tok := sign(b, "RS256", testKeys().rsa, map[string]any{"kid": "rsa1"}, claimsAt(issMain, testNow))
	benchVerify(b, benchVerifier(b, false), tok)
}

func BenchmarkVerifyUncachedES256(b *testing.B) {
	tok := sign(b, "ES256", testKeys().ec256, map[string]any{"kid": "ec1"}, claimsAt(issMain, testNow))
	benchVerify(b, benchVerifier(b, false), tok)
}
