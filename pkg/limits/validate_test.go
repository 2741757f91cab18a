package limits

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/martyedge/security/internal/yamlx"
)

// decode parses a rate_limits section strictly, as pkg/rbac does.
func decode(t *testing.T, src string) *Spec {
	t.Helper()
	var s Spec
	if _, err := yamlx.DecodeStrict("rl.yaml", []byte(src), &s); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return &s
}

// testRefs knows five roles and two routes.
var testRefs = Refs{
	Role: func(n string) bool {
		return slices.Contains([]string{"viewer", "developer", "admin", "huge", "quota-only"}, n)
	},
	Route: func(n string) bool { return slices.Contains([]string{"orders-read", "orders-create"}, n) },
}

func problemStrings(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // Problem.String(), in order
	}{
		{
			name: "valid everything",
			src: `
per_user:
  default: {burst: {requests: 10, per: 1s}, quota: {requests: 1000, per: 24h}}
  roles:
    developer: {burst: {requests: 50, per: 1s}}
    admin: {unlimited: true}
global:
  domain: edge
  rules:
    - name: per-ip
      descriptor: [{remote_address: true}]
      limit: {requests: 20, unit: second}
    - name: trusted-ip
      descriptor: [{remote_address: true, value: 10.0.0.1}]
      unlimited: true
    - name: api-key
      descriptor: [{header: {name: x-api-key, descriptor_key: api_key}}]
      limit: {requests: 100, unit: minute}
      replaces: [per-ip]
    - name: orders-per-tenant
      descriptor:
        - route: orders-read
        - metadata: {key: tenant, default: none}
      limit: {requests: 600, unit: minute}
      shadow_mode: true
    - name: orders-acme
      descriptor:
        - route: orders-read
        - metadata: {key: tenant, default: none}
          value: acme
      limit: {requests: 6000, unit: minute}
    - name: docs
      descriptor: [{path_prefix: /docs/}, {generic_key: {value: docs}}]
      limit: {requests: 5, unit: day}
    - name: anonymous
      descriptor: [{metadata: {key: auth}, value: none}]
      limit: {requests: 1, unit: hour}
`,
		},
		{
			name: "empty section",
			src:  "{}",
			want: []string{": want per_user, global or both"},
		},
		{
			name: "per_user problems",
			src: `
per_user:
  default: {}
  roles:
    ghost: {unlimited: true}
    viewer: {unlimited: true, burst: {requests: 1, per: 1s}}
    developer:
      burst: {requests: 0, per: -1s}
      quota: {requests: 5}
    admin:
      burst: {requests: 10, per: 1m}
      quota: {requests: 5, per: 1s}
    quota-only:
      quota: {requests: 5, per: 24h}
    huge:
      burst: {requests: 2147483648, per: 1500us}
      quota: {requests: 1, per: 8808h}
`,
			want: []string{
				"per_user.default: want burst (and optionally quota), or unlimited: true",
				"per_user.roles.admin.quota.per: 1s must be longer than burst.per (1m0s)",
				"per_user.roles.admin.quota.requests: 5 is fewer than burst.requests (10): the burst could never be used in full",
				"per_user.roles.developer.burst.requests: want a number of requests from 1 to 2147483647, got 0",
				"per_user.roles.developer.burst.per: want a duration from 1ms to 8784h0m0s, got -1s",
				"per_user.roles.developer.quota.per: want a duration from 1ms to 8784h0m0s, got 0s",
				`per_user.roles.ghost: unknown role "ghost"`,
				"per_user.roles.huge.burst.requests: want a number of requests from 1 to 2147483647, got 2147483648",
				"per_user.roles.huge.burst.per: want a whole number of milliseconds, got 1.5ms",
				"per_user.roles.huge.quota.per: want a duration from 1ms to 8784h0m0s, got 8808h0m0s",
				"per_user.roles.quota-only: want burst (and optionally quota), or unlimited: true",
				"per_user.roles.viewer: want either unlimited: true or burst/quota, not both",
			},
		},
		{
			name: "per_user windows differ",
			src: `
per_user:
  default: {burst: {requests: 10, per: 1s}}
  roles:
    admin: {burst: {requests: 100, per: 1s}, quota: {requests: 1000, per: 24h}}
    developer: {burst: {requests: 50, per: 2s}, quota: {requests: 1000, per: 1h}}
`,
			want: []string{
				"per_user.roles.developer.burst.per: 2s differs from the burst window of default (1s): all per-user limits share one burst window and one quota window, so that the limits of a caller's roles compare",
				`per_user.roles.developer.quota.per: 1h0m0s differs from the quota window of role "admin" (24h0m0s): all per-user limits share one burst window and one quota window, so that the limits of a caller's roles compare`,
			},
		},
		{
			name: "per_user empty",
			src:  "per_user: {}",
			want: []string{"per_user: want default, roles or both"},
		},
		{
			name: "global fields",
			src: `
global:
  domain: "edge domain"
  rules:
    - descriptor: []
      limit: {requests: 0, unit: week}
      unlimited: true
    - name: a
      descriptor: [{remote_address: true}]
      limit: {requests: 4294967296}
      shadow_mode: true
    - name: a
      descriptor: [{remote_address: true, header: {name: x}}]
      unlimited: true
      shadow_mode: true
      replaces: [a, ghost, a]
    - name: c
      descriptor: [{generic_key: {value: c}}]
      limit: {requests: 1, unit: second}
      replaces: [c]
`,
			want: []string{
				`global.domain: invalid domain: "edge domain" has invalid character ' ' (want letters, digits, '_', '.', '-')`,
				`global.rules[2].name: duplicate rule name "a" (first at rules[1])`,
				"global.rules[0]: want a name",
				"global.rules[0]: want a descriptor with at least one entry",
				"global.rules[0]: want only one of limit or unlimited: true, not both",
				"global.rules[1](a).limit.requests: want a number of requests from 1 to 4294967295, got 4294967296",
				"global.rules[1](a).limit.unit: required: one of second, minute, hour, day",
				"global.rules[2](a).descriptor[0]: want only one of remote_address, header, metadata, generic_key, route or path_prefix, got remote_address and header",
				"global.rules[2](a).shadow_mode: has no effect on an unlimited rule",
				`global.rules[2](a).replaces[1]: unknown rule "ghost"`,
				`global.rules[2](a).replaces[2]: duplicate rule "a"`,
				"global.rules[3](c).replaces[0]: a rule cannot replace itself",
			},
		},
		{
			name: "missing domain and rules",
			src:  "global: {}",
			want: []string{
				"global.domain: required: the domain of Envoy's ratelimit filter, e.g. domain: edge",
				"global.rules: want at least one rule",
			},
		},
		{
			name: "entries",
			src: `
global:
  domain: edge
  rules:
    - name: r
      limit: {requests: 1, unit: second}
      descriptor:
        - {}
        - remote_address: true
          value: 10.0.0.300
        - remote_address: true
          value: "2001:DB8::1"
        - header: {name: Authorization}
        - header: {name: cookie}
        - header: {name: x-a, descriptor_key: a.b}
        - metadata: {key: request_id}
        - metadata: {key: tier}
    - name: s
      limit: {requests: 1, unit: second}
      descriptor:
        - metadata: {}
        - metadata: {key: auth}
          value: basic
        - metadata: {key: route}
          value: orders-write
        - generic_key: {}
        - generic_key: {value: "a*"}
          value: b
        - route: orders-write
        - path_prefix: api
        - path_prefix: /api?x=1
    - name: t
      limit: {requests: 1, unit: second}
      descriptor:
        - path_prefix: /api
          value: x
        - header: {name: x-b}
          value: "a*"
        - metadata: {key: tenant, default: "\u0001"}
`,
			want: []string{
				"global.rules[0](r).descriptor[0]: want one of remote_address: true, header, metadata, generic_key, route or path_prefix",
				`global.rules[0](r).descriptor[1].value: "10.0.0.300" is not an IP address`,
				`global.rules[0](r).descriptor[2].value: write "2001:DB8::1" as "2001:db8::1", the form Envoy sends`,
				`global.rules[0](r).descriptor[3].header.name: invalid header name "Authorization" (want lower-case letters, digits, '-', '_')`,
				"global.rules[0](r).descriptor[4].header.name: cookie carries credentials, which would end up in the rate-limit service's cache keys; use metadata subject or principal instead",
				`global.rules[0](r).descriptor[5].header.descriptor_key: invalid descriptor key: "a.b" has invalid character '.' (want letters, digits, '_', '-')`,
				"global.rules[0](r).descriptor[6].metadata.key: request_id is unique per request: a counter per request never limits anything",
				`global.rules[0](r).descriptor[7].metadata.key: unknown metadata key "tier" (want subject, roles, tenant, issuer, principal, auth, route)`,
				"global.rules[1](s).descriptor[0].metadata: want key: one of subject, roles, tenant, issuer, principal, auth, route",
				`global.rules[1](s).descriptor[1].value: auth is never "basic" (want jwt, mtls, none)`,
				`global.rules[1](s).descriptor[2].value: unknown route "orders-write"`,
				"global.rules[1](s).descriptor[3].generic_key: want value",
				`global.rules[1](s).descriptor[4].generic_key.value: invalid value: "a*" must not contain '*': envoyproxy/ratelimit reads it as a wildcard, and values here are exact`,
				"global.rules[1](s).descriptor[4].value: not allowed with generic_key, whose value is fixed",
				`global.rules[1](s).descriptor[5].route: unknown route "orders-write"`,
				`global.rules[1](s).descriptor[6].path_prefix: "api" must start with "/"`,
				`global.rules[1](s).descriptor[7].path_prefix: "/api?x=1" must be a path, without query or fragment`,
				"global.rules[2](t).descriptor[0].value: not allowed with path_prefix, whose value is fixed",
				`global.rules[2](t).descriptor[1].value: invalid value: "a*" must not contain '*': envoyproxy/ratelimit reads it as a wildcard, and values here are exact`,
				`global.rules[2](t).descriptor[2].metadata.default: invalid default: "\x01" must not contain control characters`,
			},
		},
		{
			name: "too many entries",
			src: `
global:
  domain: edge
  rules:
    - name: deep
      limit: {requests: 1, unit: second}
      descriptor: [{remote_address: true}, {remote_address: true}, {remote_address: true}, {remote_address: true},
                   {remote_address: true}, {remote_address: true}, {remote_address: true}, {remote_address: true},
                   {remote_address: true}]
`,
			want: []string{"global.rules[0](deep).descriptor: 9 entries: at most 8 are supported"},
		},
		{
			name: "cross-rule checks run only on well-formed rules",
			src: `
global:
  domain: edge
  rules:
    - {name: a, descriptor: [{remote_address: true}], limit: {requests: 1, unit: second}}
    - {name: b, descriptor: [{remote_address: true}], limit: {requests: 1, unit: sec}}
`,
			want: []string{`global.rules[1](b).limit.unit: unknown unit "sec" (want second, minute, hour, day)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemStrings(decode(t, tt.src).Validate(testRefs))
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}

// TestCrossRuleChecks covers the checks that make the service's answer
// well defined (see plan).
func TestCrossRuleChecks(t *testing.T) {
	const head = "global:\n  domain: edge\n  rules:\n"
	tests := []struct {
		name  string
		rules string
		want  []string
	}{
		{
			name: "same descriptors",
			rules: `
    - {name: a, descriptor: [{metadata: {key: tenant}}], limit: {requests: 1, unit: second}}
    - {name: b, descriptor: [{metadata: {key: tenant}}], limit: {requests: 2, unit: second}}
`,
			want: []string{`global.rules[1](b).descriptor: matches exactly the descriptors of rule "a" (rules[0]); remove one, or pin a different value`},
		},
		{
			name: "same key from different sources",
			rules: `
    - {name: a, descriptor: [{metadata: {key: tenant}}, {generic_key: {value: x}}], limit: {requests: 1, unit: second}}
    - {name: b, descriptor: [{header: {name: x-tenant, descriptor_key: tenant}}, {generic_key: {value: x}}], limit: {requests: 1, unit: second}}
`,
			want: []string{`global.rules[1](b).descriptor[0]: takes descriptor key "tenant" from header x-tenant, but rule "a" (rules[0]) takes it from ext_authz metadata tenant: Envoy would send descriptors the rate-limit service cannot tell apart; use a different descriptor_key`},
		},
		{
			name: "same key, different defaults",
			rules: `
    - {name: a, descriptor: [{metadata: {key: tenant, default: none}}], limit: {requests: 1, unit: second}}
    - {name: b, descriptor: [{metadata: {key: tenant}, value: acme}], limit: {requests: 1, unit: second}}
`,
			want: []string{`global.rules[1](b).descriptor[0]: takes descriptor key "tenant" from ext_authz metadata tenant, but rule "a" (rules[0]) takes it from ext_authz metadata tenant (default "none"): Envoy would send descriptors the rate-limit service cannot tell apart; use a different descriptor_key`},
		},
		{
			name: "constants with different values are told apart",
			rules: `
    - {name: a, descriptor: [{generic_key: {value: x}}, {metadata: {key: tenant}}], limit: {requests: 1, unit: second}}
    - {name: b, descriptor: [{generic_key: {value: y}}, {header: {name: tenant}}], limit: {requests: 1, unit: second}}
    - {name: c, descriptor: [{path_prefix: /a}], limit: {requests: 1, unit: second}}
    - {name: d, descriptor: [{path_prefix: /a/b}], limit: {requests: 1, unit: second}}
`,
		},
		{
			name: "constant and variable with the same key",
			rules: `
    - {name: a, descriptor: [{generic_key: {value: x}}], limit: {requests: 1, unit: second}}
    - {name: b, descriptor: [{header: {name: x-kind, descriptor_key: generic_key}}], limit: {requests: 1, unit: second}}
`,
			want: []string{`global.rules[1](b).descriptor[0]: takes descriptor key "generic_key" from header x-kind, but rule "a" (rules[0]) takes it from the constant "x": Envoy would send descriptors the rate-limit service cannot tell apart; use a different descriptor_key`},
		},
		{
			name: "overlap without a rule for it",
			rules: `
    - {name: any, descriptor: [{metadata: {key: tenant}}, {route: orders-read}], limit: {requests: 1, unit: second}}
    - {name: acme, descriptor: [{metadata: {key: tenant}, value: acme}, {metadata: {key: route}}], limit: {requests: 2, unit: second}}
`,
			want: []string{`global.rules[1](acme).descriptor: overlaps rule "any" (rules[0]): a descriptor (tenant: acme, route: orders-read) matches both and neither is more specific; add a rule for exactly that descriptor`},
		},
		{
			name: "overlap with a rule for it",
			rules: `
    - {name: any, descriptor: [{metadata: {key: tenant}}, {route: orders-read}], limit: {requests: 1, unit: second}}
    - {name: acme, descriptor: [{metadata: {key: tenant}, value: acme}, {metadata: {key: route}}], limit: {requests: 2, unit: second}}
    - {name: both, descriptor: [{metadata: {key: tenant}, value: acme}, {route: orders-read}], limit: {requests: 3, unit: second}}
`,
		},
		{
			name: "replacing a rule of the same shape",
			rules: `
    - {name: a, descriptor: [{metadata: {key: tenant}}], limit: {requests: 1, unit: second}}
    - {name: b, descriptor: [{metadata: {key: tenant}, value: acme}], unlimited: true, replaces: [a]}
`,
			want: []string{`global.rules[1](b).replaces[0]: has no effect: rule "a" (rules[0]) matches the same kind of descriptor, Envoy sends one per request, and it selects only one of the two rules`},
		},
		{
			name: "confusable keys",
			rules: `
    - {name: a, descriptor: [{header: {name: x-api}}], limit: {requests: 1, unit: second}}
    - {name: b, descriptor: [{header: {name: x-api_key}}], limit: {requests: 1, unit: second}}
    - {name: c, descriptor: [{generic_key: {value: v}}, {header: {name: x-api}}], limit: {requests: 1, unit: second}}
`,
			want: []string{`global.rules[1](b).descriptor[0]: descriptor key "x-api_key" can be mistaken for key "x-api" of rule "a" (rules[0]) at the same level (the rate-limit service looks entries up as key_value); use a different descriptor_key`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemStrings(decode(t, head+tt.rules).Validate(testRefs))
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}

func TestProblemPath(t *testing.T) {
	s := decode(t, `
global:
  domain: edge
  rules:
    - {name: ok, descriptor: [{remote_address: true}], limit: {requests: 1, unit: second}}
    - {name: orders-per-tenant, descriptor: [{remote_address: true, value: x}], limit: {requests: 1, unit: second}}
`)
	ps := s.Validate(Refs{})
	if len(ps) != 1 {
		t.Fatalf("problems: %v", ps)
	}
	if want := "global.rules[1](orders-per-tenant).descriptor[0].value"; ps[0].Field != want {
		t.Errorf("Field = %q, want %q", ps[0].Field, want)
	}
	if want := "global.rules[1].descriptor[0].value"; ps[0].Path != want {
		t.Errorf("Path = %q, want %q", ps[0].Path, want)
	}
}

func TestPlanError(t *testing.T) {
	s := decode(t, `
global:
  domain: edge
  rules:
    - {name: a, descriptor: [{route: nowhere}], limit: {requests: 1, unit: fortnight}}
`)
	_, err := s.Global.Plan()
	// Plan has no route names to check against; the unit is still wrong.
	want := `rate_limits.global.rules[0](a).limit.unit: unknown unit "fortnight" (want second, minute, hour, day)`
	if err == nil || err.Error() != want {
		t.Fatalf("Plan error = %v, want %s", err, want)
	}
}

// TestValidateBounded checks that pathological sections are rejected
// quickly with a bounded list of problems.
func TestValidateBounded(t *testing.T) {
	rules := func(n int, entry func(i int) string) *Spec {
		var b strings.Builder
		b.WriteString("global:\n  domain: edge\n  rules:\n")
		for i := range n {
			fmt.Fprintf(&b, "    - name: r%d\n      limit: {requests: 1, unit: second}\n      descriptor:\n%s", i, entry(i))
		}
		return decode(t, b.String())
	}
	t.Run("too many rules", func(t *testing.T) {
		s := rules(1001, func(i int) string { return fmt.Sprintf("        - generic_key: {value: g%d}\n", i) })
		got := problemStrings(s.Validate(Refs{}))
		if want := []string{"global.rules: 1001 rules: at most 1000 are supported"}; !slices.Equal(got, want) {
			t.Errorf("problems %q, want %q", got, want)
		}
	})
	t.Run("pairwise overlaps", func(t *testing.T) {
		// Each rule pins a different one of 4 levels: every pair
		// overlaps without a rule for the overlap.
		s := rules(400, func(i int) string {
			var b strings.Builder
			for lvl, key := range []string{"subject", "tenant", "issuer", "principal"} {
				fmt.Fprintf(&b, "        - metadata: {key: %s}\n", key)
				if lvl == i%4 {
					fmt.Fprintf(&b, "          value: v%d\n", i)
				}
			}
			return b.String()
		})
		ps := s.Validate(Refs{})
		if len(ps) != maxProblems+1 {
			t.Fatalf("%d problems, want %d", len(ps), maxProblems+1)
		}
		if want := ": too many problems: only the first 100 are shown"; ps[maxProblems].String() != want {
			t.Errorf("last problem %q, want %q", ps[maxProblems], want)
		}
	})
}
