package config_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/martyedge/security/pkg/config"
)

func TestDefaultsAndPaths(t *testing.T) {
	c, err := config.Load("testdata/minimal.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	checks := []struct{ name, got, want string }{
		{"environment", c.Environment, "development"},
		{"listen.grpc", c.Listen.GRPC, ":9001"},
		{"listen.admin", c.Listen.Admin, ":9002"},
		{"log.format", c.Log.Format, "json"},
		{"policy", mustAbs(t, c.Policy), filepath.Join(dir, "policy.yaml")},
		{"jwks_file", mustAbs(t, c.Authn.Issuers[0].JWKSFile), filepath.Join(dir, "keys/jwks.json")},
		{"identity subject header", c.Authz.IdentityHeaders.Subject, "x-user-id"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if c.Authn.Leeway != 30*time.Second || c.Authn.MaxTokenBytes != 8192 {
		t.Errorf("token defaults not filled: leeway %s, max %d", c.Authn.Leeway, c.Authn.MaxTokenBytes)
	}
	if c.Shutdown.Timeout != 15*time.Second {
		t.Errorf("shutdown.timeout = %s", c.Shutdown.Timeout)
	}
	if c.Sessions.FailMode != "closed" || c.RateLimit.FailMode != "open" || c.RateLimit.Store != "memory" {
		t.Errorf("fail modes: sessions %q (want closed), rate_limit %q (want open), store %q", c.Sessions.FailMode, c.RateLimit.FailMode, c.RateLimit.Store)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestEnvOverrides(t *testing.T) {
	env := []string{
		"PATH=/usr/bin",
		"EXTAUTHZ_CONFIG=ignored.yaml",
		"EXTAUTHZ_ENVIRONMENT=production",
		"EXTAUTHZ_LISTEN_GRPC=0.0.0.0:7000",
		"EXTAUTHZ_AUTHZ_SHADOW=true",
		"EXTAUTHZ_AUTHZ_EXCLUDED_PATHS=/healthz, /metrics",
		"EXTAUTHZ_AUTHN_LEEWAY=10s",
		"EXTAUTHZ_GRPC_MAX_CONCURRENT_STREAMS=64",
	}
	c, err := config.Load("testdata/minimal.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Environment != "production" || c.Listen.GRPC != "0.0.0.0:7000" || !c.Authz.Shadow ||
		strings.Join(c.Authz.ExcludedPaths, "|") != "/healthz|/metrics" || c.Authn.Leeway != 10*time.Second ||
		c.GRPC.MaxConcurrentStreams != 64 {
		t.Errorf("overrides not applied: %+v", c)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  []string
		want []string // substrings of the error, each must appear
	}{
		{
			name: "unknown key",
			yaml: "policy: p.yaml\nlisten:\n  grcp: :9001\n" + issuer,
			want: []string{"bad.yaml:3", "grcp"},
		},
		{
			name: "bad environment",
			yaml: "environment: prod\npolicy: p.yaml\n" + issuer,
			want: []string{"bad.yaml:1: environment:", `"prod"`},
		},
		{
			name: "missing policy",
			yaml: issuer,
			want: []string{"policy: is required"},
		},
		{
			name: "bad listen address and log level together",
			yaml: "policy: p.yaml\nlisten:\n  grpc: nine-thousand\nlog:\n  level: loud\n" + issuer,
			want: []string{"bad.yaml:3: listen.grpc:", "bad.yaml:5: log.level:"},
		},
		{
			name: "token config error is placed under authn with its line",
			yaml: "policy: p.yaml\nauthn:\n  issuers:\n    - issuer: https://idp.test\n      audiences: [api]\n      algorithms: [none]\n      jwks_file: k.json\n",
			want: []string{"bad.yaml:6: authn.issuers[0].algorithms[0]:"},
		},
		{
			name: "identity header clash",
			yaml: "policy: p.yaml\nauthz:\n  identity_headers:\n    subject: x-user\n    roles: X-User\n" + issuer,
			want: []string{"is also used by"},
		},
		{
			name: "identity header that would hijack authorization",
			yaml: "policy: p.yaml\nauthz:\n  identity_headers:\n    subject: authorization\n" + issuer,
			want: []string{"authz.identity_headers.subject", "cannot be used"},
		},
		{
			name: "unknown environment variable",
			yaml: "policy: p.yaml\n" + issuer,
			env:  []string{"EXTAUTHZ_LISTEN_GRCP=:1"},
			want: []string{"EXTAUTHZ_LISTEN_GRCP: unknown setting"},
		},
		{
			name: "bad environment variable value",
			yaml: "policy: p.yaml\n" + issuer,
			env:  []string{"EXTAUTHZ_AUTHZ_SHADOW=sometimes"},
			want: []string{"EXTAUTHZ_AUTHZ_SHADOW (authz.shadow)", "invalid boolean"},
		},
		{
			name: "invalid value set by environment is blamed on the variable",
			yaml: "policy: p.yaml\n" + issuer,
			env:  []string{"EXTAUTHZ_LOG_LEVEL=loud"},
			want: []string{"EXTAUTHZ_LOG_LEVEL (log.level): must be"},
		},
		{
			name: "bad rate limiter settings",
			yaml: "policy: p.yaml\nrate_limit:\n  store: etcd\n  fail_mode: maybe\n" + issuer,
			want: []string{"bad.yaml:3: rate_limit.store:", "bad.yaml:4: rate_limit.fail_mode:"},
		},
		{
			name: "redis rate limiter without addresses",
			yaml: "policy: p.yaml\nrate_limit:\n  store: redis\n" + issuer,
			want: []string{"rate_limit.redis.addrs"},
		},
		{
			name: "not YAML",
			yaml: "policy: [unclosed\n",
			want: []string{"bad.yaml:"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("bad.yaml", []byte(tc.yaml), tc.env)
			if err == nil {
				t.Fatal("accepted a bad configuration")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

const issuer = `authn:
  issuers:
    - issuer: https://idp.test
      audiences: [api]
      algorithms: [ES256]
      jwks_file: k.json
`

func TestEnvNamesDocumented(t *testing.T) {
	names := config.EnvNames()
	for _, want := range []string{"EXTAUTHZ_LISTEN_GRPC", "EXTAUTHZ_AUTHN_LEEWAY", "EXTAUTHZ_AUTHZ_SHADOW", "EXTAUTHZ_LOG_LEVEL"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("%s missing from EnvNames: %v", want, names)
		}
	}
}
