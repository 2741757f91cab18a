package token

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// validConfig is a minimal valid config; the cases mutate a fresh copy.
func validConfig() Config {
	return Config{Issuers: []IssuerConfig{{
		Issuer:     "https://idp.example",
		Audiences:  []string{"api"},
		Algorithms: []string{"RS256"},
		JWKSURL:    "https://idp.example/jwks.json",
	}}}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(*Config)
		wantFields []string // every FieldError.Field expected, in order
		wantMsg    string   // optional substring of the joined message
	}{
		{name: "valid", mutate: func(*Config) {}},
		{name: "no issuers", mutate: func(c *Config) { c.Issuers = nil }, wantFields: []string{"issuers"}},
		{
			name: "signing key alone is not enough",
			mutate: func(c *Config) {
				c.Issuers = nil
				c.Signing = &SigningConfig{Issuer: "i", Audience: "a", KeyFile: "k", KeyID: "1"}
			},
			wantFields: []string{"issuers"},
		},
		{name: "empty issuer", mutate: func(c *Config) { c.Issuers[0].Issuer = "" }, wantFields: []string{"issuers[0].issuer"}},
		{name: "issuer with CR", mutate: func(c *Config) { c.Issuers[0].Issuer = "a\rb" }, wantFields: []string{"issuers[0].issuer"}},
		{
			name:       "duplicate issuer",
			mutate:     func(c *Config) { c.Issuers = append(c.Issuers, c.Issuers[0]) },
			wantFields: []string{"issuers[1].issuer"},
		},
		{name: "no audiences", mutate: func(c *Config) { c.Issuers[0].Audiences = nil }, wantFields: []string{"issuers[0].audiences"}},
		{name: "empty audience", mutate: func(c *Config) { c.Issuers[0].Audiences = []string{"api", ""} }, wantFields: []string{"issuers[0].audiences[1]"}},
		{name: "no algorithms", mutate: func(c *Config) { c.Issuers[0].Algorithms = nil }, wantFields: []string{"issuers[0].algorithms"}},
		{
			name:       "alg none",
			mutate:     func(c *Config) { c.Issuers[0].Algorithms = []string{"none"} },
			wantFields: []string{"issuers[0].algorithms[0]", "issuers[0].algorithms"},
			wantMsg:    `issuers[0].algorithms[0]: unsupported algorithm "none"`,
		},
		{
			name:       "unknown algorithm next to a good one",
			mutate:     func(c *Config) { c.Issuers[0].Algorithms = []string{"RS256", "HS512"} },
			wantFields: []string{"issuers[0].algorithms[1]"},
		},
		{name: "duplicate algorithm", mutate: func(c *Config) { c.Issuers[0].Algorithms = []string{"RS256", "RS256"} }, wantFields: []string{"issuers[0].algorithms[1]"}},
		{name: "no key source", mutate: func(c *Config) { c.Issuers[0].JWKSURL = "" }, wantFields: []string{"issuers[0]"}},
		{
			name:       "HS256 without a secret",
			mutate:     func(c *Config) { c.Issuers[0].Algorithms = []string{"RS256", "HS256"} },
			wantFields: []string{"issuers[0].algorithms"},
		},
		{
			name:       "secret without HS256",
			mutate:     func(c *Config) { c.Issuers[0].HMACSecretFile = "/s" },
			wantFields: []string{"issuers[0].hmac_secret_file"},
		},
		{
			name: "HMAC only with asymmetric algorithms",
			mutate: func(c *Config) {
				c.Issuers[0].JWKSURL = ""
				c.Issuers[0].HMACSecretFile = "/s"
				c.Issuers[0].Algorithms = []string{"RS256", "HS256"}
			},
			wantFields: []string{"issuers[0].algorithms"},
		},
		{
			name:       "public keys with only HS256",
			mutate:     func(c *Config) { c.Issuers[0].HMACSecretFile = "/s"; c.Issuers[0].Algorithms = []string{"HS256"} },
			wantFields: []string{"issuers[0].algorithms"},
		},
		{name: "plain http JWKS", mutate: func(c *Config) { c.Issuers[0].JWKSURL = "http://idp/jwks" }, wantFields: []string{"issuers[0].jwks_url"}},
		{
			name:   "plain http JWKS allowed",
			mutate: func(c *Config) { c.Issuers[0].JWKSURL = "http://idp/jwks"; c.Issuers[0].JWKS.AllowHTTP = true },
		},
		{name: "relative JWKS URL", mutate: func(c *Config) { c.Issuers[0].JWKSURL = "/jwks" }, wantFields: []string{"issuers[0].jwks_url"}},
		{name: "ftp JWKS URL", mutate: func(c *Config) { c.Issuers[0].JWKSURL = "ftp://idp/jwks" }, wantFields: []string{"issuers[0].jwks_url"}},
		{name: "credentials in JWKS URL", mutate: func(c *Config) { c.Issuers[0].JWKSURL = "https://u:p@idp/jwks" }, wantFields: []string{"issuers[0].jwks_url"}},
		{name: "ca_file without URL", mutate: func(c *Config) {
			c.Issuers[0].JWKSURL = ""
			c.Issuers[0].JWKSFile = "/j"
			c.Issuers[0].JWKS.CAFile = "/ca"
		}, wantFields: []string{"issuers[0].jwks.ca_file"}},
		{name: "negative refresh", mutate: func(c *Config) { c.Issuers[0].JWKS.RefreshInterval = -time.Second }, wantFields: []string{"issuers[0].jwks.refresh_interval"}},
		{name: "refresh too fast", mutate: func(c *Config) { c.Issuers[0].JWKS.RefreshInterval = time.Millisecond }, wantFields: []string{"issuers[0].jwks.refresh_interval"}},
		{name: "negative refetch interval", mutate: func(c *Config) { c.Issuers[0].JWKS.UnknownKIDRefetchInterval = -1 }, wantFields: []string{"issuers[0].jwks.unknown_kid_refetch_interval"}},
		{name: "timeout too long", mutate: func(c *Config) { c.Issuers[0].JWKS.Timeout = time.Hour }, wantFields: []string{"issuers[0].jwks.timeout"}},
		{name: "pem key without file", mutate: func(c *Config) { c.Issuers[0].PEMKeys = []PEMKey{{KeyID: "a"}} }, wantFields: []string{"issuers[0].pem_keys[0].file"}},
		{
			name:       "duplicate pem kid",
			mutate:     func(c *Config) { c.Issuers[0].PEMKeys = []PEMKey{{KeyID: "a", File: "/a"}, {KeyID: "a", File: "/b"}} },
			wantFields: []string{"issuers[0].pem_keys[1].kid"},
		},
		{name: "bad claim path", mutate: func(c *Config) { c.Issuers[0].Claims.Roles = "realm_access..roles" }, wantFields: []string{"issuers[0].claims.roles"}},
		{name: "negative leeway", mutate: func(c *Config) { c.Leeway = -time.Second }, wantFields: []string{"leeway"}},
		{name: "huge leeway", mutate: func(c *Config) { c.Leeway = time.Hour }, wantFields: []string{"leeway"}},
		{name: "negative max_token_bytes", mutate: func(c *Config) { c.MaxTokenBytes = -1 }, wantFields: []string{"max_token_bytes"}},
		{name: "negative cache size", mutate: func(c *Config) { c.Cache.MaxEntries = -5 }, wantFields: []string{"cache.max_entries"}},
		{
			name:       "signing incomplete",
			mutate:     func(c *Config) { c.Signing = &SigningConfig{Algorithm: "HS256"} },
			wantFields: []string{"signing.issuer", "signing.audience", "signing.key_file", "signing.kid", "signing.algorithm"},
		},
		{
			name: "several errors across issuers",
			mutate: func(c *Config) {
				c.Issuers = append(c.Issuers, IssuerConfig{Issuer: "two", Audiences: []string{"x"}, Algorithms: []string{"EdDSA", "none"}, PEMKeys: []PEMKey{{File: "/k"}}})
				c.Leeway = -1
			},
			wantFields: []string{"leeway", "issuers[1].algorithms[1]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.mutate(&cfg)
			err := cfg.Validate()
			if got := fieldsOf(t, err); !slices.Equal(got, tt.wantFields) {
				t.Fatalf("Validate() fields = %q, want %q\nerror: %v", got, tt.wantFields, err)
			}
			if tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

// fieldsOf lists the Field of every *FieldError joined in err.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var fields []string
	for _, e := range errs {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %v is not a *FieldError", e)
		}
		fields = append(fields, fe.Field)
	}
	return fields
}

func TestConfigDefaults(t *testing.T) {
	cfg := validConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ic := cfg.Issuers[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"leeway", cfg.Leeway, DefaultLeeway},
		{"max_token_bytes", cfg.MaxTokenBytes, DefaultMaxTokenBytes},
		{"cache.max_entries", cfg.Cache.MaxEntries, DefaultCacheMaxEntries},
		{"jwks.refresh_interval", ic.JWKS.RefreshInterval, DefaultJWKSRefreshInterval},
		{"jwks.unknown_kid_refetch_interval", ic.JWKS.UnknownKIDRefetchInterval, DefaultUnknownKIDRefetchInterval},
		{"jwks.timeout", ic.JWKS.Timeout, DefaultJWKSTimeout},
		{"claims", ic.Claims, ClaimsConfig{Subject: "sub", Roles: "roles", Tenant: "tenant", SessionID: "sid"}},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestConfigYAML decodes the fixture the way pkg/config does (strict keys,
// durations as strings) and validates it.
func TestConfigYAML(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string
	}{
		{file: "testdata/authn.yaml"},
		{file: "testdata/authn_typo.yaml", wantErr: "field algorithm not found"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			dec := yaml.NewDecoder(bytes.NewReader(data))
			dec.KnownFields(true)
			var doc struct {
				Authn Config `yaml:"authn"`
			}
			err = dec.Decode(&doc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Decode() = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg := doc.Authn
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			if cfg.Leeway != 45*time.Second || cfg.Issuers[0].JWKS.RefreshInterval != 10*time.Minute {
				t.Errorf("durations: leeway %s, refresh %s", cfg.Leeway, cfg.Issuers[0].JWKS.RefreshInterval)
			}
			if got := cfg.Issuers[0].Claims.Roles; got != "realm_access.roles" {
				t.Errorf("claims.roles = %q", got)
			}
			if cfg.Signing == nil || cfg.Signing.KeyID != "dev-1" {
				t.Errorf("signing = %+v", cfg.Signing)
			}
		})
	}
}

// TestNewVerifierLoadErrors: unusable key files are fatal and named.
func TestNewVerifierLoadErrors(t *testing.T) {
	k := testKeys()
	privDER, err := x509MarshalPKCS8(k.rsa)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		issuer  func(t *testing.T) IssuerConfig
		wantErr string
	}{
		{
			name: "missing PEM file",
			issuer: func(t *testing.T) IssuerConfig {
				return IssuerConfig{Issuer: "i", Audiences: []string{"a"}, Algorithms: []string{"RS256"}, PEMKeys: []PEMKey{{File: "/nonexistent/key.pem"}}}
			},
			wantErr: `issuers[0].pem_keys[0].file: "/nonexistent/key.pem"`,
		},
		{
			name: "private key instead of public",
			issuer: func(t *testing.T) IssuerConfig {
				f := writeFile(t, "priv.pem", pemBlock("PRIVATE KEY", privDER))
				return IssuerConfig{Issuer: "i", Audiences: []string{"a"}, Algorithms: []string{"RS256"}, PEMKeys: []PEMKey{{File: f}}}
			},
			wantErr: "is a private key",
		},
		{
			name: "key fits no allowed algorithm",
			issuer: func(t *testing.T) IssuerConfig {
				f := writePublicPEM(t, &k.ec384.PublicKey)
				return IssuerConfig{Issuer: "i", Audiences: []string{"a"}, Algorithms: []string{"ES256"}, PEMKeys: []PEMKey{{File: f}}}
			},
			wantErr: "fits none of the algorithms",
		},
		{
			name: "short HMAC secret",
			issuer: func(t *testing.T) IssuerConfig {
				f := writeFile(t, "secret", []byte("too-short-secret\n"))
				return IssuerConfig{Issuer: "i", Audiences: []string{"a"}, Algorithms: []string{"HS256"}, HMACSecretFile: f}
			},
			wantErr: "issuers[0].hmac_secret_file",
		},
		{
			name: "JWKS file without usable keys",
			issuer: func(t *testing.T) IssuerConfig {
				f := writeFile(t, "jwks.json", []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`))
				return IssuerConfig{Issuer: "i", Audiences: []string{"a"}, Algorithms: []string{"RS256"}, JWKSFile: f}
			},
			wantErr: "no usable signing keys",
		},
		{
			name: "bad CA file",
			issuer: func(t *testing.T) IssuerConfig {
				f := writeFile(t, "ca.pem", []byte("nope"))
				ic := jwksIssuer("i", "https://idp.example/jwks")
				ic.JWKS.CAFile = f
				return ic
			},
			wantErr: "issuers[0].jwks.ca_file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerifier(t.Context(), Config{Issuers: []IssuerConfig{tt.issuer(t)}})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewVerifier() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestNewVerifierStaticSources: a JWKS file and a certificate PEM work.
func TestNewVerifierStaticSources(t *testing.T) {
	k := testKeys()
	jwksFile := writeFile(t, "jwks.json", jwksJSON(t, jwk{kid: "f1", pub: &k.rsa.PublicKey}))
	cert := writeFile(t, "cert.pem", selfSignedPEM(t, k.ec256))
	clock := newFakeClock()
	v := newVerifier(t, Config{Issuers: []IssuerConfig{{
		Issuer: issMain, Audiences: []string{"api"}, Algorithms: []string{"RS256", "ES256"},
		JWKSFile: jwksFile, PEMKeys: []PEMKey{{KeyID: "c1", File: cert}},
	}}}, WithClock(clock.Now))
	if err := v.Ready(); err != nil {
		t.Fatalf("Ready() = %v", err)
	}
	tests := []struct {
		name, alg, kid string
		key            any
	}{
		{"from JWKS file", "RS256", "f1", k.rsa},
		{"from certificate", "ES256", "c1", k.ec256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := sign(t, tt.alg, tt.key, map[string]any{"kid": tt.kid}, claimsAt(issMain, clock.Now()))
			if _, err := v.Verify(t.Context(), tok); err != nil {
				t.Fatalf("Verify() = %v", err)
			}
		})
	}
}

func TestFieldErrorMessage(t *testing.T) {
	err := error(&FieldError{Field: "issuers[1].algorithms[0]", Msg: `unsupported algorithm "none"`})
	if got, want := err.Error(), `issuers[1].algorithms[0]: unsupported algorithm "none"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
