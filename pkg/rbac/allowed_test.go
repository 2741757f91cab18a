package rbac

import (
	"os"
	"path/filepath"
	"testing"
)

// mustLoad parses testdata/valid/<name> for env.
func mustLoad(t testing.TB, name, env string) *Policy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "valid", name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(name, data, env)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAllowed(t *testing.T) {
	p := mustLoad(t, "full.yaml", "staging")
	tests := []struct {
		name  string
		roles []string
		perm  string
		want  bool
	}{
		{name: "own exact grant", roles: []string{"left"}, perm: "orders:read", want: true},
		{name: "inherited grant", roles: []string{"left"}, perm: "catalog:read", want: true},
		{name: "diamond left path", roles: []string{"diamond"}, perm: "orders:read", want: true},
		{name: "diamond right path wildcard", roles: []string{"diamond"}, perm: "reports:export", want: true},
		{name: "diamond shared base", roles: []string{"diamond"}, perm: "catalog:read", want: true},
		{name: "diamond own", roles: []string{"diamond"}, perm: "orders:write", want: true},
		{name: "transitive through two levels", roles: []string{"team.lead"}, perm: "catalog:read", want: true},
		{name: "parent lacks child grant", roles: []string{"base"}, perm: "orders:read", want: false},
		{name: "sibling lacks grant", roles: []string{"left"}, perm: "reports:read", want: false},
		{name: "resource wildcard", roles: []string{"deployer"}, perm: "deploy:rollback", want: true},
		{name: "resource wildcard is per resource", roles: []string{"deployer"}, perm: "deploy.v2:stop", want: false},
		{name: "action wildcard", roles: []string{"auditor"}, perm: "anything:audit", want: true},
		{name: "action wildcard is per action", roles: []string{"auditor"}, perm: "anything:read", want: false},
		{name: "everything", roles: []string{"root"}, perm: "made.up:thing", want: true},
		{name: "any of several roles", roles: []string{"base", "auditor", "deployer"}, perm: "deploy:x", want: true},
		{name: "unknown role ignored", roles: []string{"nope", "left"}, perm: "orders:read", want: true},
		{name: "only unknown roles", roles: []string{"nope", "ROOT"}, perm: "orders:read", want: false},
		{name: "no roles", roles: nil, perm: "orders:read", want: false},
		{name: "role with no grants", roles: []string{"empty"}, perm: "orders:read", want: false},
		{name: "ungranted permission", roles: []string{"team.lead"}, perm: "billing:refund", want: false},
		{name: "wildcard permission is never allowed", roles: []string{"root"}, perm: "orders:*", want: false},
		{name: "bare star is never allowed", roles: []string{"root"}, perm: "*", want: false},
		{name: "malformed permission", roles: []string{"root"}, perm: "orders", want: false},
		{name: "empty permission", roles: []string{"root"}, perm: "", want: false},
		{name: "case matters", roles: []string{"left"}, perm: "Orders:read", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Allowed(tt.roles, tt.perm); got != tt.want {
				t.Errorf("Allowed(%q, %q) = %v, want %v", tt.roles, tt.perm, got, tt.want)
			}
		})
	}
}

// TestEnvironmentOverride parses the same file for each environment and
// expects different answers where the environments differ.
func TestEnvironmentOverride(t *testing.T) {
	tests := []struct {
		role, perm string
		want       map[string]bool // by environment
	}{
		{role: "deployer", perm: "deploy:rollback", want: map[string]bool{"development": true, "staging": true, "production": false}},
		{role: "deployer", perm: "deploy:read", want: map[string]bool{"development": true, "staging": true, "production": true}},
		{role: "deployer", perm: "deploy.v2:start", want: map[string]bool{"development": true, "staging": true, "production": true}},
		// team.lead inherits deployer, so the override reaches it.
		{role: "team.lead", perm: "deploy:rollback", want: map[string]bool{"development": true, "staging": true, "production": false}},
		{role: "empty", perm: "dev:tools", want: map[string]bool{"development": true, "staging": false, "production": false}},
	}
	for _, env := range []string{"development", "staging", "production"} {
		p := mustLoad(t, "full.yaml", env)
		for _, tt := range tests {
			t.Run(env+"/"+tt.role+"/"+tt.perm, func(t *testing.T) {
				if got := p.Allowed([]string{tt.role}, tt.perm); got != tt.want[env] {
					t.Errorf("Allowed(%s, %s) in %s = %v, want %v", tt.role, tt.perm, env, got, tt.want[env])
				}
			})
		}
	}
}

// TestRevokeKeepsInherited documents that revoke removes only the role's
// own grant.
func TestRevokeKeepsInherited(t *testing.T) {
	const policy = `version: 1
roles:
  reader:
    permissions: [orders:read]
  writer:
    inherits: [reader]
    permissions: [orders:read, orders:write]
environments:
  production:
    roles:
      writer:
        revoke: [orders:read, orders:write]
`
	p, err := Parse("p.yaml", []byte(policy), "production")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Allowed([]string{"writer"}, "orders:read") {
		t.Error("writer lost orders:read although it inherits it from reader")
	}
	if p.Allowed([]string{"writer"}, "orders:write") {
		t.Error("writer kept the revoked orders:write")
	}
}

func TestHasRole(t *testing.T) {
	p := mustLoad(t, "full.yaml", "production")
	for name, want := range map[string]bool{"left": true, "team.lead": true, "empty": true, "ghost": false, "": false} {
		if got := p.HasRole(name); got != want {
			t.Errorf("HasRole(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestConcurrentUse exercises the lookups from several goroutines; run
// with -race it checks that a Policy is safe to share.
func TestConcurrentUse(t *testing.T) {
	p := mustLoad(t, "full.yaml", "production")
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 1000 {
				roles := p.ServiceRoles("spiffe://cluster.local/ns/billing/sa/billing")
				if !p.Allowed(roles, "orders:read") {
					t.Error("billing lost orders:read")
					return
				}
				if r, ok := p.MatchRoute("GET", "/api/orders/1"); !ok || r.Name != "orders-read" {
					t.Error("wrong route")
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}
