package limits

import (
	"fmt"
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	s := decode(t, `
per_user:
  default:
    burst: {requests: 10, per: 1s}
    quota: {requests: 1000, per: 24h}
  roles:
    strict:
      burst: {requests: 1, per: 1s}
      quota: {requests: 10, per: 24h}
    fast:
      burst: {requests: 100, per: 1s}
      quota: {requests: 2000, per: 24h}
    deep:
      burst: {requests: 20, per: 1s}
      quota: {requests: 50000, per: 24h}
    no-quota:
      burst: {requests: 5, per: 1s}
    admin: {unlimited: true}
`)
	if ps := s.Validate(Refs{}); len(ps) > 0 {
		t.Fatalf("spec invalid: %v", ps)
	}
	w := func(n int64, per time.Duration) *Window { return &Window{Requests: n, Per: per} }
	tests := []struct {
		name  string
		roles []string
		want  UserLimit
	}{
		{"no roles: default", nil, UserLimit{Burst: w(10, time.Second), Quota: w(1000, 24*time.Hour)}},
		{"unlisted roles: default", []string{"viewer", "other"}, UserLimit{Burst: w(10, time.Second), Quota: w(1000, 24*time.Hour)}},
		{"listed role may be stricter than default", []string{"viewer", "strict"}, UserLimit{Burst: w(1, time.Second), Quota: w(10, 24*time.Hour)}},
		{"unlimited wins", []string{"strict", "admin", "fast"}, UserLimit{Unlimited: true}},
		{"largest of each", []string{"strict", "fast"}, UserLimit{Burst: w(100, time.Second), Quota: w(2000, 24*time.Hour)}},
		{"burst and quota from different roles", []string{"deep", "fast"}, UserLimit{Burst: w(100, time.Second), Quota: w(50000, 24*time.Hour)}},
		{"order does not matter", []string{"fast", "deep"}, UserLimit{Burst: w(100, time.Second), Quota: w(50000, 24*time.Hour)}},
		{"a role without quota lifts it", []string{"no-quota", "strict"}, UserLimit{Burst: w(5, time.Second)}},
		{"duplicate roles", []string{"strict", "strict"}, UserLimit{Burst: w(1, time.Second), Quota: w(10, 24*time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.PerUser.Resolve(tt.roles)
			if !sameLimit(got, tt.want) {
				t.Errorf("Resolve(%q) = %s, want %s", tt.roles, show(got), show(tt.want))
			}
			// What the runtime will check of any limit it gets.
			if !got.Unlimited {
				if got.Burst == nil || got.Quota != nil && (got.Quota.Per <= got.Burst.Per || got.Quota.Requests < got.Burst.Requests) {
					t.Errorf("Resolve(%q) = %s is not a valid limit", tt.roles, show(got))
				}
			}
		})
	}

	t.Run("result points into the policy and leaves it alone", func(t *testing.T) {
		got := s.PerUser.Resolve([]string{"strict", "fast"})
		if got.Burst != s.PerUser.Roles["fast"].Burst {
			t.Error("burst window was copied")
		}
		if strict := s.PerUser.Roles["strict"]; strict.Burst.Requests != 1 || strict.Quota.Requests != 10 {
			t.Errorf("Resolve modified the policy: strict = %s", show(strict))
		}
	})
	t.Run("does not allocate", func(t *testing.T) {
		roles := []string{"strict", "fast", "deep"}
		if n := testing.AllocsPerRun(100, func() { s.PerUser.Resolve(roles) }); n != 0 {
			t.Errorf("Resolve allocates %v times", n)
		}
	})
}

func TestResolveNoLimits(t *testing.T) {
	var none *PerUser
	if got := none.Resolve([]string{"a"}); !got.Unlimited {
		t.Errorf("nil PerUser: %s, want unlimited", show(got))
	}
	var noSection *Spec
	if got := noSection.PerUserLimit([]string{"a"}); !got.Unlimited {
		t.Errorf("nil Spec: %s, want unlimited", show(got))
	}
	if got := (&Spec{}).PerUserLimit([]string{"a"}); !got.Unlimited {
		t.Errorf("no per_user: %s, want unlimited", show(got))
	}
	s := decode(t, "per_user:\n  roles:\n    a: {burst: {requests: 1, per: 1s}}\n")
	if got := s.PerUserLimit([]string{"b"}); !got.Unlimited {
		t.Errorf("no default, unlisted role: %s, want unlimited", show(got))
	}
	if got := s.PerUserLimit([]string{"a"}); got.Burst == nil || got.Burst.Requests != 1 {
		t.Errorf("listed role: %s, want its burst", show(got))
	}
}

func sameLimit(a, b UserLimit) bool {
	eq := func(x, y *Window) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y }
	return a.Unlimited == b.Unlimited && eq(a.Burst, b.Burst) && eq(a.Quota, b.Quota)
}

func show(l UserLimit) string {
	if l.Unlimited {
		return "unlimited"
	}
	s := func(w *Window) string {
		if w == nil {
			return "-"
		}
		return fmt.Sprintf("%d/%v", w.Requests, w.Per)
	}
	return "burst " + s(l.Burst) + ", quota " + s(l.Quota)
}
