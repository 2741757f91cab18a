package rbac

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that a policy it accepts
// answers arbitrary queries without panicking and denies by default.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, filepath.Join("..", "..", "examples", "quickstart", "policy.yaml"))
	for i, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(i), "orders:read", "GET", "/api/orders/1", "spiffe://cluster.local/ns/billing/sa/billing")
	}
	f.Add([]byte("version: 1\nroles:\n  a:\n    permissions: [\"*\"]\n"), uint8(2), "a:b", "POST", "/", "x")

	envs := []string{"development", "staging", "production", "bogus"}
	f.Fuzz(func(t *testing.T, data []byte, env uint8, perm, method, path, principal string) {
		p, err := Parse("fuzz.yaml", data, envs[int(env)%len(envs)])
		if err != nil {
			if p != nil {
				t.Fatal("Parse returned a policy with an error")
			}
			return
		}
		if p.Allowed(nil, perm) {
			t.Fatalf("Allowed(nil, %q) = true", perm)
		}
		roles := p.ServiceRoles(principal)
		for _, r := range roles {
			if !p.HasRole(r) {
				t.Fatalf("ServiceRoles(%q) returned undefined role %q", principal, r)
			}
		}
		allowed := p.Allowed(append(roles, perm, principal), perm)
		if allowed && ValidatePermission(perm) != nil {
			t.Fatalf("Allowed(_, %q) = true for an invalid permission", perm)
		}
		if r, ok := p.MatchRoute(method, path); ok {
			if r.Public == (r.Permission != "") {
				t.Fatalf("route %q: Public=%v with Permission %q", r.Name, r.Public, r.Permission)
			}
			if !r.Public && ValidatePermission(r.Permission) != nil {
				t.Fatalf("route %q requires invalid permission %q", r.Name, r.Permission)
			}
		}
	})
}
