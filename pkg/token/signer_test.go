package token

import (
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// TestSignerRoundTrip mints with every private key encoding and verifies
// the result with a Verifier that knows the public key.
func TestSignerRoundTrip(t *testing.T) {
	k := testKeys()
	pkcs1 := x509.MarshalPKCS1PrivateKey(k.rsa)
	sec1, err := x509.MarshalECPrivateKey(k.ec384)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8Ed, err := x509.MarshalPKCS8PrivateKey(k.ed)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8EC, err := x509.MarshalPKCS8PrivateKey(k.ec256)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		keyPEM  []byte
		alg     string // configured; "" derives it
		pub     any
		wantAlg string
	}{
		{"PKCS#1 RSA, default alg", pemBlock("RSA PRIVATE KEY", pkcs1), "", &k.rsa.PublicKey, "RS256"},
		{"PKCS#1 RSA, PS256", pemBlock("RSA PRIVATE KEY", pkcs1), "PS256", &k.rsa.PublicKey, "PS256"},
		{"SEC1 P-384", pemBlock("EC PRIVATE KEY", sec1), "", &k.ec384.PublicKey, "ES384"},
		{"PKCS#8 P-256", pemBlock("PRIVATE KEY", pkcs8EC), "ES256", &k.ec256.PublicKey, "ES256"},
		{"PKCS#8 Ed25519", pemBlock("PRIVATE KEY", pkcs8Ed), "", k.ed.Public(), "EdDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSigner(SigningConfig{
				Issuer: issMain, Audience: "api", KeyID: "dev-1", Algorithm: tt.alg,
				KeyFile: writeFile(t, "key.pem", tt.keyPEM),
			})
			if err != nil {
				t.Fatalf("NewSigner() = %v", err)
			}
			now := testNow
			raw, err := s.Mint(now, MintClaims{
				Subject: "dev", Tenant: "acme", SessionID: "s-9", Roles: []string{"admin", "ops"}, TTL: time.Hour,
			})
			if err != nil {
				t.Fatalf("Mint() = %v", err)
			}
			v := newVerifier(t, Config{Issuers: []IssuerConfig{{
				Issuer: issMain, Audiences: []string{"api"}, Algorithms: []string{tt.wantAlg},
				PEMKeys: []PEMKey{{KeyID: "dev-1", File: writePublicPEM(t, tt.pub)}},
			}}}, WithClock(func() time.Time { return now }))
			id, err := v.Verify(t.Context(), raw)
			if err != nil {
				t.Fatalf("Verify(minted) = %v", err)
			}
			want := &Identity{
				Subject: "dev", Tenant: "acme", SessionID: "s-9", Issuer: issMain, TokenID: id.TokenID,
				Roles: []string{"admin", "ops"}, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
			}
			if !identityEqual(id, want) || id.TokenID == "" {
				t.Errorf("identity = %+v, want %+v with a jti", *id, *want)
			}
		})
	}
}

func TestSignerMintOmitsEmptyClaims(t *testing.T) {
	k := testKeys()
	der, _ := x509.MarshalPKCS8PrivateKey(k.ed)
	s, err := NewSigner(SigningConfig{Issuer: "i", Audience: "a", KeyID: "1", KeyFile: writeFile(t, "k.pem", pemBlock("PRIVATE KEY", der))})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Mint(testNow, MintClaims{Subject: "x", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Mint(testNow, MintClaims{Subject: "x", TTL: time.Minute})
	if a == b {
		t.Error("two mints produced the same token: jti is not random")
	}
	payload := strings.Split(a, ".")[1]
	for _, claim := range []string{"roles", "tenant", "sid"} {
		if strings.Contains(decodeSeg(t, payload), `"`+claim+`"`) {
			t.Errorf("payload has %q although it was empty", claim)
		}
	}
	if !strings.Contains(decodeSeg(t, strings.Split(a, ".")[0]), `"kid":"1"`) {
		t.Error("header lacks kid")
	}
}

func TestSignerErrors(t *testing.T) {
	k := testKeys()
	rsaDER := x509.MarshalPKCS1PrivateKey(k.rsa)
	rsaFile := writeFile(t, "rsa.pem", pemBlock("RSA PRIVATE KEY", rsaDER))
	base := SigningConfig{Issuer: "i", Audience: "a", KeyID: "1", KeyFile: rsaFile}
	tests := []struct {
		name    string
		cfg     func() SigningConfig
		mint    *MintClaims
		wantErr string
	}{
		{name: "missing file", cfg: func() SigningConfig { c := base; c.KeyFile = "/nonexistent.pem"; return c }, wantErr: `signing.key_file: "/nonexistent.pem"`},
		{name: "public key file", cfg: func() SigningConfig { c := base; c.KeyFile = writePublicPEM(t, &k.rsa.PublicKey); return c }, wantErr: "unsupported PEM block"},
		{name: "alg does not fit key", cfg: func() SigningConfig { c := base; c.Algorithm = "ES256"; return c }, wantErr: "signing.algorithm"},
		{name: "HS256 refused", cfg: func() SigningConfig { c := base; c.Algorithm = "HS256"; return c }, wantErr: "signing.algorithm"},
		{name: "missing kid", cfg: func() SigningConfig { c := base; c.KeyID = ""; return c }, wantErr: "signing.kid"},
		{name: "zero TTL", cfg: func() SigningConfig { return base }, mint: &MintClaims{Subject: "x"}, wantErr: "TTL"},
		{name: "no subject", cfg: func() SigningConfig { return base }, mint: &MintClaims{TTL: time.Minute}, wantErr: "subject"},
		{name: "role with comma", cfg: func() SigningConfig { return base }, mint: &MintClaims{Subject: "x", TTL: time.Minute, Roles: []string{"a,b"}}, wantErr: "roles[0]"},
		{name: "tenant with LF", cfg: func() SigningConfig { return base }, mint: &MintClaims{Subject: "x", TTL: time.Minute, Tenant: "a\nb"}, wantErr: "tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSigner(tt.cfg())
			if err == nil && tt.mint != nil {
				_, err = s.Mint(testNow, *tt.mint)
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func decodeSeg(t *testing.T, seg string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
