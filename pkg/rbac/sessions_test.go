package rbac_test

import (
	"strings"
	"testing"

	"github.com/martyedge/security/pkg/rbac"
)

func TestSessionRequired(t *testing.T) {
	const base = `version: 1
roles:
  viewer: {permissions: ["orders:read"]}
  service_account: {permissions: ["inventory:*"]}
  robot: {permissions: ["inventory:read"]}
`
	tests := []struct {
		name     string
		sessions string
		roles    []string
		want     bool
	}{
		{"no sessions section", "", []string{"viewer"}, false},
		{"not required", "sessions: {required: false}\n", []string{"viewer"}, false},
		{"required", "sessions: {required: true}\n", []string{"viewer"}, true},
		{"required, no roles", "sessions: {required: true, optional_for_roles: [service_account]}\n", nil, true},
		{"optional role alone", "sessions: {required: true, optional_for_roles: [service_account]}\n", []string{"service_account"}, false},
		{"every role optional", "sessions: {required: true, optional_for_roles: [service_account, robot]}\n", []string{"robot", "service_account"}, false},
		{"optional role plus another", "sessions: {required: true, optional_for_roles: [service_account]}\n", []string{"service_account", "viewer"}, true},
		{"unknown role claimed", "sessions: {required: true, optional_for_roles: [service_account]}\n", []string{"service_account", "root"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := rbac.Parse("policy.yaml", []byte(base+tc.sessions), "production")
			if err != nil {
				t.Fatal(err)
			}
			if got := p.SessionRequired(tc.roles); got != tc.want {
				t.Errorf("SessionRequired(%v) = %v, want %v", tc.roles, got, tc.want)
			}
		})
	}
}

func TestSessionsErrors(t *testing.T) {
	tests := []struct {
		name, sessions, want string
	}{
		{"unknown role", "sessions: {required: true, optional_for_roles: [ghost]}\n", `policy.yaml:4: sessions.optional_for_roles[0]: unknown role "ghost"`},
		{"optional without required", "sessions: {optional_for_roles: [viewer]}\n", "policy.yaml:4: sessions.optional_for_roles: only meaningful with required: true"},
		{"unknown key", "sessions: {requried: true}\n", "policy.yaml:4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rbac.Parse("policy.yaml", []byte("version: 1\nroles:\n  viewer: {permissions: [\"orders:read\"]}\n"+tc.sessions), "development")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
