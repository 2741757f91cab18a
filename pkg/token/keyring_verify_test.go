package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"
	"time"
)

// TestWithKeyRing: a Verifier built WithKeyRing accepts the ring's tokens
// (old and new keys alike), keeps its configured issuers, and refuses an
// issuer name that is also configured.
func TestWithKeyRing(t *testing.T) {
	k := testKeys()
	ring, err := NewKeyRing(IssuingConfig{
		Issuer: "https://edge.example", Audience: "api",
		Keys: []IssuingKey{
			{KeyID: "old", KeyFile: pkcs8PEM(t, k.rsa)},
			{KeyID: "new", KeyFile: pkcs8PEM(t, k.ec256)},
		},
		ActiveKeyID: "old",
	})
	if err != nil {
		t.Fatal(err)
	}
	oldTok, err := ring.Mint(testNow, MintClaims{Subject: "alice", SessionID: "s1", Roles: []string{"viewer"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Activate("new"); err != nil {
		t.Fatal(err)
	}
	newTok, err := ring.Mint(testNow, MintClaims{Subject: "bob", Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	other := jwksIssuer("https://idp.example", "https://idp.example/jwks")
	other.JWKSURL, other.JWKSFile = "", writeFile(t, "jwks.json", jwksJSON(t, jwk{kid: "x", pub: &k.ec256.PublicKey}))
	v := newVerifier(t, Config{Issuers: []IssuerConfig{other}}, WithKeyRing(ring), WithClock(func() time.Time { return testNow.Add(time.Minute) }))
	for _, tc := range []struct{ tok, sub, sid string }{{oldTok.Token, "alice", "s1"}, {newTok.Token, "bob", ""}} {
		id, err := v.Verify(t.Context(), tc.tok)
		if err != nil {
			t.Fatalf("Verify(%s) = %v", tc.sub, err)
		}
		if id.Subject != tc.sub || id.SessionID != tc.sid || id.Issuer != "https://edge.example" {
			t.Errorf("Identity = %+v", id)
		}
	}

	// A token for another audience or signed by a key outside the ring fails.
	outsider, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	forged := sign(t, "ES256", outsider, map[string]any{"kid": "new"}, claimsAt("https://edge.example", testNow))
	if _, err := v.Verify(t.Context(), forged); err == nil {
		t.Error("a token signed outside the ring was accepted")
	}

	dup := other
	dup.Issuer = "https://edge.example"
	_, err = NewVerifier(t.Context(), Config{Issuers: []IssuerConfig{dup}}, WithKeyRing(ring))
	if err == nil || !strings.Contains(err.Error(), "both configured") {
		t.Fatalf("NewVerifier with a duplicate issuer = %v", err)
	}
}
