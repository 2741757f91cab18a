package rbac

import "testing"

// TestQuickstart loads the policy users copy from the README for every
// environment and checks the behaviour it documents.
func TestQuickstart(t *testing.T) {
	const path = "../../examples/quickstart/policy.yaml"
	const billing = "spiffe://cluster.local/ns/billing/sa/billing"
	const prometheus = "spiffe://cluster.local/ns/monitoring/sa/prometheus"
	for _, env := range []string{"development", "staging", "production"} {
		t.Run(env, func(t *testing.T) {
			p, err := Load(path, env)
			if err != nil {
				t.Fatal(err)
			}
			checks := []struct {
				roles []string
				perm  string
				want  bool
			}{
				{[]string{"viewer"}, "orders:read", true},
				{[]string{"viewer"}, "orders:write", false},
				{[]string{"developer"}, "orders:write", true},
				{[]string{"developer"}, "deploy:read", true},
				{[]string{"developer"}, "deploy:rollback", env != "production"},
				{[]string{"developer"}, "orders:delete", false},
				{[]string{"admin"}, "orders:delete", true},
				{[]string{"admin"}, "admin:access", true},
				{p.ServiceRoles(billing), "inventory:write", true},
				{p.ServiceRoles(billing), "orders:write", false},
				{p.ServiceRoles(prometheus), "catalog:read", true},
				{p.ServiceRoles("spiffe://cluster.local/ns/monitoring-evil/sa/x"), "catalog:read", false},
			}
			for _, c := range checks {
				if got := p.Allowed(c.roles, c.perm); got != c.want {
					t.Errorf("Allowed(%q, %q) = %v, want %v", c.roles, c.perm, got, c.want)
				}
			}
			rl := p.RateLimits()
			if rl == nil || rl.PerUser == nil || rl.Global == nil {
				t.Fatalf("RateLimits() = %+v, want the example's per_user and global parts", rl)
			}
			if got := rl.PerUser.Resolve([]string{"developer", "admin"}); !got.Unlimited {
				t.Errorf("developer+admin per-user limit = %+v, want unlimited", got)
			}
			if got := rl.PerUser.Resolve([]string{"viewer"}); got.Quota == nil || got.Quota.Requests != 10000 {
				t.Errorf("viewer per-user limit = %+v, want the default", got)
			}
			if _, err := rl.Global.Plan(); err != nil {
				t.Errorf("global rate limits: %v", err)
			}
			routes := []struct {
				method, path, want string
			}{
				{"GET", "/api/orders", "orders-read"},
				{"HEAD", "/api/orders/42", "orders-read"},
				{"POST", "/api/orders", "orders-create"},
				{"DELETE", "/api/orders/42", "orders-delete"},
				{"DELETE", "/api/orders/abc", ""},
				{"PUT", "/admin/users", "admin"},
				{"GET", "/docs/index.html", "docs"},
				{"GET", "/docs", ""},
				{"GET", "/other", ""},
			}
			for _, r := range routes {
				got, ok := p.MatchRoute(r.method, r.path)
				if name := routeName(got, ok); name != r.want {
					t.Errorf("MatchRoute(%s %s) = %q, want %q", r.method, r.path, name, r.want)
				}
			}
		})
	}
}

func routeName(r *Route, ok bool) string {
	if !ok {
		return ""
	}
	return r.Name
}
