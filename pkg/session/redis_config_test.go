package session_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/martyedge/security/pkg/session"
)

func TestRedisConfigValidateDefaults(t *testing.T) {
	t.Parallel()
	c := session.RedisConfig{Addrs: []string{"redis:6379"}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := session.RedisConfig{
		Addrs:        []string{"redis:6379"},
		KeyPrefix:    "marty",
		DialTimeout:  100 * time.Millisecond,
		ReadTimeout:  50 * time.Millisecond,
		WriteTimeout: 50 * time.Millisecond,
		MaxRetries:   1,
	}
	if !slices.Equal(c.Addrs, want.Addrs) || c.KeyPrefix != want.KeyPrefix || c.DialTimeout != want.DialTimeout ||
		c.ReadTimeout != want.ReadTimeout || c.WriteTimeout != want.WriteTimeout || c.MaxRetries != want.MaxRetries {
		t.Errorf("after Validate: %+v\nwant %+v", c, want)
	}
}

func TestRedisConfigValidateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cfg        session.RedisConfig
		wantFields []string
	}{
		{"no addrs", session.RedisConfig{}, []string{"addrs"}},
		{"addr without port", session.RedisConfig{Addrs: []string{"ok:1", "redis"}}, []string{"addrs[1]"}},
		{"addr with bad port", session.RedisConfig{Addrs: []string{"redis:99999"}}, []string{"addrs[0]"}},
		{"addr without host", session.RedisConfig{Addrs: []string{":6379"}}, []string{"addrs[0]"}},
		{"db in a cluster", session.RedisConfig{Addrs: []string{"a:1", "b:1"}, DB: 2}, []string{"db"}},
		{"negative db", session.RedisConfig{Addrs: []string{"a:1"}, DB: -1}, []string{"db"}},
		{"db with sentinel is fine", session.RedisConfig{Addrs: []string{"a:1", "b:1"}, MasterName: "m", DB: 2}, nil},
		{"prefix with a brace", session.RedisConfig{Addrs: []string{"a:1"}, KeyPrefix: "a{b"}, []string{"key_prefix"}},
		{"prefix with a space", session.RedisConfig{Addrs: []string{"a:1"}, KeyPrefix: "a b"}, []string{"key_prefix"}},
		{"negative read timeout", session.RedisConfig{Addrs: []string{"a:1"}, ReadTimeout: -1}, []string{"read_timeout"}},
		{"nanosecond write timeout", session.RedisConfig{Addrs: []string{"a:1"}, WriteTimeout: 50}, []string{"write_timeout"}},
		{"huge dial timeout", session.RedisConfig{Addrs: []string{"a:1"}, DialTimeout: time.Hour}, []string{"dial_timeout"}},
		{"negative pool size", session.RedisConfig{Addrs: []string{"a:1"}, PoolSize: -1}, []string{"pool_size"}},
		{"too many retries", session.RedisConfig{Addrs: []string{"a:1"}, MaxRetries: 9}, []string{"max_retries"}},
		{"bad retries", session.RedisConfig{Addrs: []string{"a:1"}, MaxRetries: -2}, []string{"max_retries"}},
		{"no retries is fine", session.RedisConfig{Addrs: []string{"a:1"}, MaxRetries: -1}, nil},
		{"ca file without tls", session.RedisConfig{Addrs: []string{"a:1"}, TLS: session.RedisTLSConfig{CAFile: "ca.pem"}}, []string{"tls.ca_file"}},
		{"sentinel credentials without sentinel", session.RedisConfig{Addrs: []string{"a:1"}, SentinelUsername: "u", SentinelPasswordFile: "p"}, []string{"sentinel_username", "sentinel_password_file"}},
		{"sentinel credentials with sentinel", session.RedisConfig{Addrs: []string{"a:1"}, MasterName: "m", SentinelUsername: "u", SentinelPasswordFile: "p"}, nil},
		{"several at once", session.RedisConfig{ReadTimeout: -1, PoolSize: -1}, []string{"addrs", "read_timeout", "pool_size"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			if got := fieldsOf(t, err); !slices.Equal(got, tc.wantFields) {
				t.Errorf("fields = %q, want %q (err: %v)", got, tc.wantFields, err)
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
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var out []string
	for _, e := range errs {
		var fe *session.FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %v is not a *FieldError", e)
		}
		out = append(out, fe.Field)
	}
	return out
}

func TestRedisConfigDecodesStrictYAML(t *testing.T) {
	t.Parallel()
	const doc = `
addrs: [redis-0:6379, redis-1:6379, redis-2:6379]
username: extauthz
password_file: /run/secrets/redis
key_prefix: edge
dial_timeout: 80ms
read_timeout: 40ms
write_timeout: 40ms
pool_size: 32
max_retries: -1
tls: {enabled: true, ca_file: /etc/redis/ca.pem}
`
	var c session.RedisConfig
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Addrs) != 3 || c.ReadTimeout != 40*time.Millisecond || c.MaxRetries != -1 || !c.TLS.Enabled || c.KeyPrefix != "edge" {
		t.Errorf("decoded %+v", c)
	}
}

func TestNewRedisStoreFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	notPEM := filepath.Join(dir, "ca.pem")
	for _, f := range []string{empty, notPEM} {
		if err := os.WriteFile(f, []byte("\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		cfg       session.RedisConfig
		wantField string
	}{
		{"missing password file", session.RedisConfig{PasswordFile: filepath.Join(dir, "nope")}, "password_file"},
		{"empty password file", session.RedisConfig{PasswordFile: empty}, "password_file"},
		{"missing sentinel password file", session.RedisConfig{MasterName: "m", SentinelPasswordFile: filepath.Join(dir, "nope")}, "sentinel_password_file"},
		{"missing ca file", session.RedisConfig{TLS: session.RedisTLSConfig{Enabled: true, CAFile: filepath.Join(dir, "nope")}}, "tls.ca_file"},
		{"ca file without certificates", session.RedisConfig{TLS: session.RedisTLSConfig{Enabled: true, CAFile: notPEM}}, "tls.ca_file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.Addrs = []string{"127.0.0.1:1"}
			_, err := session.NewRedisStore(t.Context(), tc.cfg)
			var fe *session.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.wantField {
				t.Errorf("NewRedisStore: %v, want a *FieldError for %s", err, tc.wantField)
			}
		})
	}
}
