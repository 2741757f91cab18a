package rbac

import (
	"slices"
	"testing"
)

func TestServiceRoles(t *testing.T) {
	const ns = "spiffe://cluster.local/ns/"
	tests := []struct {
		name      string
		env       string
		principal string
		want      []string
	}{
		{name: "exact beats longer prefix", env: "development", principal: ns + "billing/sa/billing", want: []string{"left"}},
		{name: "longest prefix wins", env: "development", principal: ns + "billing/sa/worker", want: []string{"auditor"}},
		{name: "middle prefix", env: "development", principal: ns + "billing/other", want: []string{"right"}},
		{name: "shortest prefix", env: "development", principal: ns + "shop/sa/web", want: []string{"base"}},
		{name: "no match", env: "development", principal: "spiffe://other.local/ns/billing/sa/billing", want: nil},
		{name: "empty principal", env: "development", principal: "", want: nil},
		{name: "environment merges exact rule", env: "staging", principal: ns + "billing/sa/billing", want: []string{"left", "deployer"}},
		{name: "environment adds longer prefix", env: "production", principal: ns + "billing/sa/batch-7", want: []string{"diamond"}},
		{name: "environment rule absent elsewhere", env: "staging", principal: ns + "billing/sa/batch-7", want: []string{"auditor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, "full.yaml", tt.env)
			if got := p.ServiceRoles(tt.principal); !slices.Equal(got, tt.want) {
				t.Errorf("ServiceRoles(%q) = %q, want %q", tt.principal, got, tt.want)
			}
		})
	}
}

// TestServiceRolesAppendSafe checks that appending to the returned slice
// cannot change the policy.
func TestServiceRolesAppendSafe(t *testing.T) {
	p := mustLoad(t, "full.yaml", "staging")
	const billing = "spiffe://cluster.local/ns/billing/sa/billing"
	roles := p.ServiceRoles(billing)
	_ = append(roles, "root")
	if got := p.ServiceRoles(billing); !slices.Equal(got, []string{"left", "deployer"}) {
		t.Errorf("ServiceRoles after append = %q", got)
	}
}
