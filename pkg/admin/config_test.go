package admin

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	token := AuthConfig{TokenFile: "t"}
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the expected errors; nil: valid
	}{
		{"token only, defaults filled", Config{Auth: token}, nil},
		{"tls only", Config{Auth: AuthConfig{TLS: &TLSConfig{CertFile: "c", KeyFile: "k", ClientCAFile: "ca"}}}, nil},
		{"no authentication", Config{}, []string{"auth: at least one of token_file or tls is required"}},
		{"tls fields", Config{Auth: AuthConfig{TLS: &TLSConfig{
			AllowedURIs: []string{"no-scheme"}, AllowedCommonNames: []string{""},
		}}}, []string{
			"auth.tls.cert_file: is required", "auth.tls.key_file: is required", "auth.tls.client_ca_file: is required",
			`auth.tls.allowed_uris[0]: "no-scheme" is not an absolute URI`, "auth.tls.allowed_common_names[0]: must not be empty",
		}},
		{"durations out of range", Config{Auth: token, Sessions: SessionConfig{
			DefaultLifetime: time.Second, MaxLifetime: 400 * 24 * time.Hour, DefaultIdleTimeout: -time.Minute,
		}}, []string{"sessions.default_lifetime: must be between", "sessions.max_lifetime: must be between", "sessions.default_idle_timeout: must be between"}},
		{"default above max", Config{Auth: token, Sessions: SessionConfig{DefaultLifetime: 48 * time.Hour, MaxLifetime: 24 * time.Hour}},
			[]string{"sessions.default_lifetime: 48h0m0s exceeds max_lifetime 24h0m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			err := cfg.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				s := cfg.Sessions
				if s.DefaultLifetime != DefaultSessionLifetime || s.MaxLifetime != DefaultSessionMaxLifetime || s.DefaultIdleTimeout != DefaultSessionIdleTimeout {
					t.Errorf("defaults not filled: %+v", s)
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
