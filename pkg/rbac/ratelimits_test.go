package rbac

import (
	"testing"
	"time"
)

const rateLimitsBase = `version: 1
roles:
  viewer: {}
  team.lead: {}
routes:
  - name: orders-read
    prefix: /api/orders
    permission: orders:read
`

func TestRateLimitsErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string // appended to rateLimitsBase (which has 8 lines)
		want  []string
	}{
		{
			name:  "empty section",
			input: "rate_limits: {}\n",
			want:  []string{"p.yaml:9: rate_limits: want per_user, global or both"},
		},
		{
			name: "unknown field",
			input: `rate_limits:
  per_user:
    defaults: {unlimited: true}
`,
			want: []string{`p.yaml:11: rate_limits.per_user.defaults: unknown field "defaults" (valid fields: default, roles)`},
		},
		{
			name: "wrong type",
			input: `rate_limits:
  per_user:
    default:
      burst: {requests: 10, per: soon}
`,
			want: []string{`p.yaml:12: rate_limits.per_user.default.burst.per: expected a duration such as "5s", got string "soon"`},
		},
		{
			name: "roles and routes come from the policy",
			input: `rate_limits:
  per_user:
    roles:
      team.lead:
        burst: {requests: 1, per: 1s}
      ghost: {unlimited: true}
  global:
    domain: edge
    rules:
      - name: ok
        descriptor: [{route: orders-read}]
        limit: {requests: 1, unit: second}
      - name: orders-per-tenant
        descriptor:
          - route: orders-write
          - metadata: {key: tenant}
        limit: {requests: 600, unit: fortnight}
`,
			want: []string{
				`p.yaml:14: rate_limits.per_user.roles.ghost: unknown role "ghost"`,
				`p.yaml:23: rate_limits.global.rules[1](orders-per-tenant).descriptor[0].route: unknown route "orders-write"`,
				`p.yaml:25: rate_limits.global.rules[1](orders-per-tenant).limit.unit: unknown unit "fortnight" (want second, minute, hour, day)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(rateLimitsBase+tt.input), "production")
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tt.want)
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
		})
	}
}

func TestRateLimitsAccessor(t *testing.T) {
	p, err := Parse("p.yaml", []byte(rateLimitsBase), "production")
	if err != nil {
		t.Fatal(err)
	}
	if p.RateLimits() != nil {
		t.Error("RateLimits() is not nil for a policy without the section")
	}

	p, err = Parse("p.yaml", []byte(rateLimitsBase+`rate_limits:
  per_user:
    default: {burst: {requests: 5, per: 1s}}
    roles:
      team.lead: {unlimited: true}
  global:
    domain: edge
    rules:
      - {name: per-ip, descriptor: [{remote_address: true}], limit: {requests: 20, unit: second}}
`), "development")
	if err != nil {
		t.Fatal(err)
	}
	rl := p.RateLimits()
	if rl == nil || rl.PerUser == nil || rl.Global == nil {
		t.Fatalf("RateLimits() = %+v, want both parts", rl)
	}
	if got := rl.PerUser.Resolve([]string{"viewer"}); got.Burst == nil || got.Burst.Requests != 5 || got.Burst.Per != time.Second {
		t.Errorf("viewer gets %+v, want the default burst", got)
	}
	if got := rl.PerUser.Resolve([]string{"viewer", "team.lead"}); !got.Unlimited {
		t.Errorf("team.lead gets %+v, want unlimited", got)
	}
	if _, err := rl.Global.Plan(); err != nil {
		t.Errorf("Plan: %v", err)
	}
}
