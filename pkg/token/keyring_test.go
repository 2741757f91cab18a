package token

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// pkcs8PEM returns key as a PKCS#8 PEM file in the test's temp dir.
func pkcs8PEM(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "key.pem", pemBlock("PRIVATE KEY", der))
}

// ringVerifier verifies the ring's tokens from a jwks_file written from
// ring.JWKS(), as a deployment that copies the JWKS would.
func ringVerifier(t *testing.T, ring *KeyRing, now time.Time) *Verifier {
	t.Helper()
	doc, err := ring.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	return newVerifier(t, Config{Issuers: []IssuerConfig{{
		Issuer: ring.Issuer(), Audiences: []string{ring.Audience()},
		Algorithms: []string{"RS256", "PS256", "ES256", "ES384", "EdDSA"},
		JWKSFile:   writeFile(t, "jwks.json", doc),
	}}}, WithClock(func() time.Time { return now }))
}

func TestKeyRingMintVerifies(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name    string
		key     any
		alg     string // configured; "" derives it
		wantAlg string
	}{
		{"RSA derived", k.rsa, "", "RS256"},
		{"RSA PS256", k.rsa, "PS256", "PS256"},
		{"P-256 ES256", k.ec256, "ES256", "ES256"},
		{"P-384 derived", k.ec384, "", "ES384"},
		{"Ed25519 derived", k.ed, "", "EdDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ring, err := NewKeyRing(IssuingConfig{
				Issuer: "https://edge.example", Audience: "api",
				Keys: []IssuingKey{{KeyID: "k1", KeyFile: pkcs8PEM(t, tt.key), Algorithm: tt.alg}},
			})
			if err != nil {
				t.Fatalf("NewKeyRing() = %v", err)
			}
			if ring.ActiveKeyID() != "k1" || ring.TokenTTL() != DefaultIssuedTokenTTL {
				t.Fatalf("active %q ttl %s, want k1 and the default", ring.ActiveKeyID(), ring.TokenTTL())
			}
			iss, err := ring.Mint(testNow, MintClaims{Subject: "alice", Tenant: "acme", SessionID: "s1", Roles: []string{"admin"}, TTL: 5 * time.Minute})
			if err != nil {
				t.Fatalf("Mint() = %v", err)
			}
			if iss.KeyID != "k1" || iss.ID == "" || !iss.ExpiresAt.Equal(testNow.Add(5*time.Minute)) || !iss.IssuedAt.Equal(testNow) {
				t.Errorf("Issued = %+v", iss)
			}
			header := decodeSegment(t, iss.Token, 0)
			if header["alg"] != tt.wantAlg || header["kid"] != "k1" {
				t.Errorf("header = %v, want alg %s kid k1", header, tt.wantAlg)
			}
			id, err := ringVerifier(t, ring, testNow.Add(time.Minute)).Verify(t.Context(), iss.Token)
			if err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			if id.Subject != "alice" || id.Tenant != "acme" || id.SessionID != "s1" || id.TokenID != iss.ID ||
				len(id.Roles) != 1 || id.Roles[0] != "admin" || !id.ExpiresAt.Equal(iss.ExpiresAt) {
				t.Errorf("Identity = %+v", id)
			}
		})
	}
}

// decodeSegment returns the JSON object of segment i of a compact JWS.
func decodeSegment(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	seg := strings.Split(tok, ".")[i]
	var m map[string]any
	if err := json.Unmarshal(mustDecode(t, seg), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustDecode(t *testing.T, seg string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeyRingJWKS(t *testing.T) {
	k := testKeys()
	ring, err := NewKeyRing(IssuingConfig{
		Issuer: "iss", Audience: "api", ActiveKeyID: "ec",
		Keys: []IssuingKey{
			{KeyID: "rsa", KeyFile: pkcs8PEM(t, k.rsa)},
			{KeyID: "ec", KeyFile: pkcs8PEM(t, k.ec256)},
			{KeyID: "ed", KeyFile: pkcs8PEM(t, k.ed)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ring.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	want := []struct{ kid, kty, alg string }{{"rsa", "RSA", "RS256"}, {"ec", "EC", "ES256"}, {"ed", "OKP", "EdDSA"}}
	if len(set.Keys) != len(want) {
		t.Fatalf("JWKS has %d keys, want %d: %s", len(set.Keys), len(want), doc)
	}
	for i, w := range want {
		got := set.Keys[i]
		if got["kid"] != w.kid || got["kty"] != w.kty || got["alg"] != w.alg || got["use"] != "sig" {
			t.Errorf("keys[%d] = %v, want kid %s kty %s alg %s use sig", i, got, w.kid, w.kty, w.alg)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := got[private]; ok {
				t.Errorf("keys[%d] publishes private member %q", i, private)
			}
		}
	}
	// The caller's copy is its own.
	doc[0] = 'x'
	if again, _ := ring.JWKS(); again[0] != '{' {
		t.Error("JWKS() returned the ring's own buffer")
	}
}

// TestKeyRingRotation: a token signed by the old key still verifies after a
// new active key is added; new tokens use the new kid; after Remove the old
// key is no longer published.
func TestKeyRingRotation(t *testing.T) {
	k := testKeys()
	ring, err := NewKeyRing(IssuingConfig{
		Issuer: "iss", Audience: "api",
		Keys: []IssuingKey{{KeyID: "old", KeyFile: pkcs8PEM(t, k.rsa)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	old, err := ring.Mint(testNow, MintClaims{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}

	if err := ring.Add(SigningKey{KeyID: "new", Key: k.ec256}, true); err != nil {
		t.Fatalf("Add() = %v", err)
	}
	if got := ring.KeyIDs(); len(got) != 2 || got[0] != "old" || got[1] != "new" || ring.ActiveKeyID() != "new" {
		t.Fatalf("KeyIDs() = %v active %q", got, ring.ActiveKeyID())
	}
	fresh, err := ring.Mint(testNow, MintClaims{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.KeyID != "new" || decodeSegment(t, fresh.Token, 0)["kid"] != "new" {
		t.Errorf("new token kid = %q, want new", fresh.KeyID)
	}
	v := ringVerifier(t, ring, testNow)
	for name, tok := range map[string]string{"old": old.Token, "new": fresh.Token} {
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Errorf("Verify(%s token) = %v", name, err)
		}
	}

	if err := ring.Remove("new"); !errors.Is(err, ErrActiveKey) {
		t.Errorf("Remove(active) = %v, want ErrActiveKey", err)
	}
	if err := ring.Remove("old"); err != nil {
		t.Fatalf("Remove(old) = %v", err)
	}
	if _, err := ringVerifier(t, ring, testNow).Verify(t.Context(), old.Token); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Verify(old token) after Remove = %v, want ErrUnknownKey", err)
	}
	if err := ring.Activate("old"); !errors.Is(err, ErrUnknownKeyID) {
		t.Errorf("Activate(removed) = %v, want ErrUnknownKeyID", err)
	}
	if err := ring.Add(SigningKey{KeyID: "new", Key: k.ed}, false); !errors.Is(err, ErrDuplicateKeyID) {
		t.Errorf("Add(duplicate kid) = %v, want ErrDuplicateKeyID", err)
	}
}

func TestKeyRingAddRejects(t *testing.T) {
	k := testKeys()
	ring, err := NewKeyRing(IssuingConfig{Issuer: "iss", Audience: "api", Keys: []IssuingKey{{KeyID: "a", KeyFile: pkcs8PEM(t, k.ed)}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  SigningKey
		want string
	}{
		{"no kid", SigningKey{Key: k.ec256}, "kid: is required"},
		{"no key", SigningKey{KeyID: "x"}, "key: is required"},
		{"HS256", SigningKey{KeyID: "x", Algorithm: "HS256", Key: k.rsa}, "unsupported signing algorithm"},
		{"alg does not fit", SigningKey{KeyID: "x", Algorithm: "ES256", Key: k.rsa}, `"ES256" does not fit`},
		{"P-384 as ES256", SigningKey{KeyID: "x", Algorithm: "ES256", Key: k.ec384}, `"ES256" does not fit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ring.Add(tt.key, true)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Add() = %v, want %q", err, tt.want)
			}
			if ring.ActiveKeyID() != "a" {
				t.Errorf("a refused key became active")
			}
		})
	}
}

func TestKeyRingMintRejects(t *testing.T) {
	k := testKeys()
	ring, err := NewKeyRing(IssuingConfig{Issuer: "iss", Audience: "api", TokenTTL: time.Hour, Keys: []IssuingKey{{KeyID: "a", KeyFile: pkcs8PEM(t, k.ed)}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		c     MintClaims
		field string // the FieldError expected, or "" for a TTL error
	}{
		{"TTL above the ring's", MintClaims{Subject: "a", TTL: 2 * time.Hour}, ""},
		{"TTL below a second", MintClaims{Subject: "a", TTL: time.Millisecond}, ""},
		{"negative TTL", MintClaims{Subject: "a", TTL: -time.Minute}, ""},
		{"no subject", MintClaims{}, "subject"},
		{"control character in tenant", MintClaims{Subject: "a", Tenant: "x\ny"}, "tenant"},
		{"invalid UTF-8 in sid", MintClaims{Subject: "a", SessionID: "\xff"}, "session_id"},
		{"role with a comma", MintClaims{Subject: "a", Roles: []string{"ok", "a,b"}}, "roles[1]"},
		{"too many roles", MintClaims{Subject: "a", Roles: make([]string, maxRoles+1)}, "roles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ring.Mint(testNow, tt.c)
			if err == nil {
				t.Fatal("Mint() succeeded")
			}
			var fe *FieldError
			switch {
			case tt.field == "" && errors.As(err, &fe):
				t.Errorf("Mint() = %v, want a TTL error", err)
			case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
				t.Errorf("Mint() = %v, want a FieldError for %s", err, tt.field)
			}
		})
	}
}

func TestIssuingConfigValidate(t *testing.T) {
	key := IssuingKey{KeyID: "a", KeyFile: "a.pem"}
	tests := []struct {
		name string
		cfg  IssuingConfig
		want []string // field prefixes of the expected errors
	}{
		{"valid, defaults filled", IssuingConfig{Issuer: "i", Audience: "a", Keys: []IssuingKey{key}}, nil},
		{"empty", IssuingConfig{}, []string{"issuer: is required", "audience: is required", "keys: at least one"}},
		{"key fields", IssuingConfig{Issuer: "i", Audience: "a", Keys: []IssuingKey{{Algorithm: "HS256"}}},
			[]string{"keys[0].key_file: is required", "keys[0].kid: is required", "keys[0].algorithm: unsupported"}},
		{"duplicate kid", IssuingConfig{Issuer: "i", Audience: "a", ActiveKeyID: "a", Keys: []IssuingKey{key, key}},
			[]string{`keys[1].kid: duplicate kid "a" (also keys[0])`}},
		{"several keys need active_kid", IssuingConfig{Issuer: "i", Audience: "a", Keys: []IssuingKey{key, {KeyID: "b", KeyFile: "b"}}},
			[]string{"active_kid: is required"}},
		{"unknown active_kid", IssuingConfig{Issuer: "i", Audience: "a", ActiveKeyID: "z", Keys: []IssuingKey{key}},
			[]string{`active_kid: "z" is not the kid`}},
		{"token_ttl too long", IssuingConfig{Issuer: "i", Audience: "a", TokenTTL: 48 * time.Hour, Keys: []IssuingKey{key}},
			[]string{"token_ttl: must be between"}},
		{"token_ttl negative", IssuingConfig{Issuer: "i", Audience: "a", TokenTTL: -time.Second, Keys: []IssuingKey{key}},
			[]string{"token_ttl: must be between"}},
		{"control characters", IssuingConfig{Issuer: "i\n", Audience: "a", Keys: []IssuingKey{key}},
			[]string{"issuer: value contains a control character"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			err := cfg.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				if cfg.TokenTTL != DefaultIssuedTokenTTL || cfg.ActiveKeyID != "a" {
					t.Errorf("defaults: ttl %s active %q", cfg.TokenTTL, cfg.ActiveKeyID)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v\nwant it to contain %q", err, w)
				}
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("Validate() = %T, want *FieldError inside", err)
			}
		})
	}
}

func TestNewKeyRingFileErrors(t *testing.T) {
	k := testKeys()
	small := writeFile(t, "pub.pem", publicPEM(t, &k.rsa.PublicKey))
	tests := []struct {
		name string
		key  IssuingKey
		want string
	}{
		{"missing file", IssuingKey{KeyID: "a", KeyFile: "/nonexistent/key.pem"}, `keys[0]: key_file: "/nonexistent/key.pem"`},
		{"public key", IssuingKey{KeyID: "a", KeyFile: small}, "unsupported PEM block"},
		{"alg does not fit", IssuingKey{KeyID: "a", KeyFile: pkcs8PEM(t, k.ed), Algorithm: "RS256"}, `keys[0]: algorithm: "RS256" does not fit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewKeyRing(IssuingConfig{Issuer: "i", Audience: "a", Keys: []IssuingKey{tt.key}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewKeyRing() = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestKeyRingConcurrent mints and publishes while keys rotate (run with
// -race).
func TestKeyRingConcurrent(t *testing.T) {
	k := testKeys()
	ring, err := NewKeyRing(IssuingConfig{Issuer: "i", Audience: "a", Keys: []IssuingKey{{KeyID: "k0", KeyFile: pkcs8PEM(t, k.ed)}}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if _, err := ring.Mint(testNow, MintClaims{Subject: "s"}); err != nil {
					t.Error(err)
					return
				}
				if _, err := ring.JWKS(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for _, kid := range []string{"k1", "k2", "k3"} {
			if err := ring.Add(SigningKey{KeyID: kid, Key: k.ec256}, true); err != nil {
				t.Error(err)
			}
		}
		if err := ring.Remove("k1"); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if got := ring.KeyIDs(); strings.Join(got, ",") != "k0,k2,k3" || ring.ActiveKeyID() != "k3" {
		t.Errorf("KeyIDs() = %v active %q", got, ring.ActiveKeyID())
	}
}
