package rbac

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/martyedge/security/internal/yamlx"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		env   string // "production" if empty
		input string
		want  []string // each joined error, in order
		is    error    // optional: errors.Is must hold
	}{
		{
			name:  "version missing",
			input: "roles: {}\n",
			want:  []string{"p.yaml:1: version: required: set version: 1"},
		},
		{
			name:  "version not 1",
			input: "version: 2\n",
			want:  []string{"p.yaml:1: version: unsupported version 2 (want 1)"},
		},
		{
			name:  "version wrong type",
			input: "version: one\n",
			want:  []string{`p.yaml:1: version: expected an integer, got string "one"`},
			is:    yamlx.ErrType,
		},
		{
			name: "unknown key",
			input: `version: 1
roles:
  viewer:
    permisions: [orders:read]
`,
			want: []string{`p.yaml:4: roles.viewer.permisions: unknown field "permisions" (valid fields: description, inherits, permissions)`},
			is:   yamlx.ErrUnknownField,
		},
		{
			name: "duplicate role",
			input: `version: 1
roles:
  viewer: {}
  viewer: {}
`,
			want: []string{`p.yaml:4: roles.viewer: duplicate key "viewer" (first defined at line 3)`},
			is:   yamlx.ErrDuplicateKey,
		},
		{
			name: "bad permission syntax",
			input: `version: 1
roles:
  viewer:
    permissions:
      - orders:read
      - catalog:read
      - "orders:re ad"
      - ord*:read
      - orders
      - a:b:c
      - ":read"
`,
			want: []string{
				`p.yaml:7: roles.viewer.permissions[2]: invalid permission "orders:re ad": action "re ad" has invalid character ' ' (want letters, digits, '_', '.', '-')`,
				`p.yaml:8: roles.viewer.permissions[3]: invalid permission "ord*:read": resource "ord*": a wildcard must be the whole resource`,
				`p.yaml:9: roles.viewer.permissions[4]: invalid permission "orders": want "resource:action" or "*"`,
				`p.yaml:10: roles.viewer.permissions[5]: invalid permission "a:b:c": want exactly one ":"`,
				`p.yaml:11: roles.viewer.permissions[6]: invalid permission ":read": empty resource`,
			},
			is: ErrInvalidPermission,
		},
		{
			name: "bad role names",
			input: `version: 1
roles:
  "read only": {}
  "a,b": {}
  "": {}
`,
			want: []string{
				`p.yaml:2: roles: invalid role name: must not be empty`,
				`p.yaml:3: roles.read only: invalid role name: "read only" must not contain whitespace, commas or control characters`,
				`p.yaml:4: roles.a,b: invalid role name: "a,b" must not contain whitespace, commas or control characters`,
			},
		},
		{
			name: "unknown inherited role",
			input: `version: 1
roles:
  developer:
    inherits: [viewer]
`,
			want: []string{`p.yaml:4: roles.developer.inherits[0]: unknown role "viewer"`},
		},
		{
			name: "inheritance cycle",
			input: `version: 1
roles:
  a:
    inherits: [b]
  b:
    inherits: [c]
  c:
    inherits: [a]
  self:
    inherits: [self]
`,
			want: []string{
				`p.yaml:8: roles.c.inherits[0]: inheritance cycle: a -> b -> c -> a`,
				`p.yaml:10: roles.self.inherits[0]: inheritance cycle: self -> self`,
			},
		},
		{
			name: "environment problems",
			input: `version: 1
roles:
  developer:
    permissions: ["deploy:*"]
environments:
  prod:
    roles: {}
  production:
    roles:
      developer:
        revoke: ["deploy:read", "deploy:*"]
        grant: ["deploy:re*d"]
      ghost:
        grant: [a:b]
`,
			want: []string{
				`p.yaml:6: environments.prod: unknown environment "prod" (want development, staging or production)`,
				`p.yaml:11: environments.production.roles.developer.revoke[0]: cannot revoke "deploy:read": it is not among the permissions of role "developer"`,
				`p.yaml:12: environments.production.roles.developer.grant[0]: invalid permission "deploy:re*d": action "re*d": a wildcard must be the whole action`,
				`p.yaml:13: environments.production.roles.ghost: override of unknown role "ghost"`,
			},
		},
		{
			name:  "selected environment unknown",
			env:   "prod",
			input: "version: 1\n",
			want:  []string{`p.yaml: unknown environment "prod": want development, staging or production`},
			is:    ErrUnknownEnvironment,
		},
		{
			name:  "selected environment unknown and file broken",
			env:   "QA",
			input: "version: 1\nrole: {}\n",
			want: []string{
				`p.yaml: unknown environment "QA": want development, staging or production`,
				`p.yaml:2: role: unknown field "role" (valid fields: version, roles, services, environments, routes, sessions, rate_limits)`,
			},
			is: ErrUnknownEnvironment,
		},
		{
			name: "service problems",
			input: `version: 1
roles:
  viewer: {}
services:
  - roles: [viewer]
  - principal: spiffe://a
    principal_prefix: spiffe://
    roles: [viewer]
  - principal: spiffe://b
    roles: [viewer, ghost]
  - principal_prefix: spiffe://c/
    roles: []
  - principal: spiffe://b
    roles: [viewer]
environments:
  staging:
    services:
      - principal: "spiffe://has space"
        roles: [viewer]
`,
			want: []string{
				`p.yaml:5: services[0]: want one of principal or principal_prefix`,
				`p.yaml:6: services[1]: want only one of principal or principal_prefix, not both`,
				`p.yaml:10: services[2].roles[1]: unknown role "ghost"`,
				`p.yaml:12: services[3].roles: want at least one role`,
				`p.yaml:13: services[4].principal: duplicate principal "spiffe://b" (first at services[2])`,
				`p.yaml:18: environments.staging.services[0].principal: principal "spiffe://has space" must not contain whitespace or control characters`,
			},
		},
		{
			name: "route problems",
			input: `version: 1
routes:
  - prefix: /a
    public: true
  - name: dup
    prefix: /b
    public: true
  - name: dup
    path: /c
    public: true
  - name: two-matchers
    path: /d
    prefix: /d
    public: true
  - name: no-matcher
    public: true
  - name: bad-regex
    regex: "/e/(["
    public: true
  - name: bad-methods
    prefix: /f
    methods: [get, FETCH, GET, GET]
    public: true
  - name: no-permission
    prefix: /g
  - name: both
    prefix: /h
    public: true
    permission: h:read
  - name: wildcard
    prefix: /i
    permission: "i:*"
  - name: relative
    path: j
    public: true
`,
			want: []string{
				`p.yaml:3: routes[0]: want a name`,
				`p.yaml:8: routes[2].name: duplicate route name "dup" (first at routes[1])`,
				`p.yaml:11: routes[3]: want only one of path, prefix or regex, got path and prefix`,
				`p.yaml:15: routes[4]: want one of path, prefix or regex`,
				"p.yaml:18: routes[5].regex: invalid regex: error parsing regexp: missing closing ]: `[`",
				`p.yaml:22: routes[6].methods[0]: HTTP method "get" must be upper-case`,
				`p.yaml:22: routes[6].methods[1]: unknown HTTP method "FETCH"`,
				`p.yaml:22: routes[6].methods[3]: duplicate HTTP method "GET"`,
				`p.yaml:24: routes[7]: want one of permission or public: true`,
				`p.yaml:26: routes[8]: want only one of permission or public: true, not both`,
				`p.yaml:32: routes[9].permission: invalid permission "i:*": a required permission must be concrete, without wildcards`,
				`p.yaml:34: routes[10].path: "j" must start with "/"`,
			},
		},
		{
			name:  "trailing document",
			input: "version: 1\n---\nversion: 1\n",
			want:  []string{`p.yaml:2: trailing document: a file holds exactly one YAML document`},
			is:    yamlx.ErrTrailingDocument,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if env == "" {
				env = "production"
			}
			p, err := Parse("p.yaml", []byte(tt.input), env)
			if err == nil {
				t.Fatalf("Parse succeeded (%v), want errors %q", p, tt.want)
			}
			got := flatten(err)
			for i := range max(len(got), len(tt.want)) {
				switch {
				case i >= len(got):
					t.Errorf("missing error %q", tt.want[i])
				case i >= len(tt.want):
					t.Errorf("unexpected error %q", got[i])
				case got[i].Error() != tt.want[i]:
					t.Errorf("error %d:\n got %s\nwant %s", i, got[i], tt.want[i])
				}
			}
			for _, e := range got {
				var ye *yamlx.Error
				if !errors.As(e, &ye) {
					t.Errorf("%q is %T, want *yamlx.Error", e, e)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
		})
	}
}

// flatten lists the leaves of a tree of errors.Join results.
func flatten(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		env     string
		wantErr error
	}{
		{name: "valid", path: filepath.Join("testdata", "valid", "full.yaml"), env: "staging"},
		{name: "missing file", path: filepath.Join("testdata", "nope.yaml"), env: "staging", wantErr: fs.ErrNotExist},
		{name: "bad environment", path: filepath.Join("testdata", "valid", "full.yaml"), env: "qa", wantErr: ErrUnknownEnvironment},
		{name: "no environment", path: filepath.Join("testdata", "valid", "full.yaml"), env: "", wantErr: ErrUnknownEnvironment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load(tt.path, tt.env)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Load() error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && p.Environment() != tt.env {
				t.Errorf("Environment() = %q, want %q", p.Environment(), tt.env)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	a, err := Parse("a.yaml", []byte("version: 1\n"), "staging")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.yaml", []byte("version: 1 # changed\n"), "staging")
	if err != nil {
		t.Fatal(err)
	}
	// sha256("version: 1\n")
	if got, want := a.Version(), "sha256:09bfcc6a14b83e21"; got != want {
		t.Errorf("Version() = %q, want %q", got, want)
	}
	if a.Version() == b.Version() {
		t.Errorf("different content, same version %q", a.Version())
	}
}

// TestParseTooManyErrors checks that a policy with thousands of mistakes is
// rejected quickly, reporting the first yamlx.MaxErrors.
func TestParseTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nroles:\n")
	const n = 5000
	for i := range n {
		fmt.Fprintf(&b, "  r%05d:\n    inherits: [ghost]\n", i)
	}
	_, err := Parse("p.yaml", []byte(b.String()), "staging")
	errs := flatten(err)
	if len(errs) != yamlx.MaxErrors+1 {
		t.Fatalf("got %d errors, want %d", len(errs), yamlx.MaxErrors+1)
	}
	if want := `p.yaml:4: roles.r00000.inherits[0]: unknown role "ghost"`; errs[0].Error() != want {
		t.Errorf("first error = %q, want %q", errs[0], want)
	}
	if want := fmt.Sprintf("p.yaml: too many errors: %d more not shown", n-yamlx.MaxErrors); errs[yamlx.MaxErrors].Error() != want {
		t.Errorf("last error = %q, want %q", errs[yamlx.MaxErrors], want)
	}
}
