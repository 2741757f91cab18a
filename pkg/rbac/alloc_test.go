package rbac

import "testing"

// TestZeroAllocs pins the promise that the per-request lookups do not
// allocate.
func TestZeroAllocs(t *testing.T) {
	p := benchPolicy(t)
	five := []string{"ghost", "r0100", "r0250", "r0500", "r0999"}
	tests := []struct {
		name string
		fn   func()
	}{
		{"Allowed hit", func() { p.Allowed([]string{"r0999"}, "res900:act3") }},
		{"Allowed miss", func() { p.Allowed(five, "nosuch:perm") }},
		{"Allowed resource wildcard", func() { p.Allowed(five, "wild925:x") }},
		{"Allowed action wildcard", func() { p.Allowed(five, "x:audit999") }},
		{"ServiceRoles exact", func() { p.ServiceRoles("spiffe://cluster.local/ns/ns500/sa/app") }},
		{"ServiceRoles prefix", func() { p.ServiceRoles("spiffe://cluster.local/ns/ns990/sa/other") }},
		{"ServiceRoles none", func() { p.ServiceRoles("spiffe://elsewhere") }},
		{"MatchRoute prefix", func() { p.MatchRoute("GET", "/api/svc98/items/1") }},
		{"MatchRoute miss before regex", func() { p.MatchRoute("POST", "/api/svc1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
				t.Errorf("%s allocates %v times per call, want 0", tt.name, n)
			}
		})
	}
}
