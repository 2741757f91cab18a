package rbac

import (
	"fmt"
	"strings"
	"testing"
)

// generatedPolicy builds a policy with the given number of roles, each with
// permsPerRole permissions of its own ("resN:actM", all distinct), arranged
// in inheritance chains of 100 roles (rN inherits rN-1) with extra diamond
// edges, a resource wildcard on every 25th role and an action wildcard on
// every 100th. It also has service rules and 100 routes.
func generatedPolicy(roles, permsPerRole int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nroles:\n")
	for i := range roles {
		fmt.Fprintf(&b, "  r%04d:\n", i)
		var inherits []string
		if i%100 != 0 {
			inherits = append(inherits, fmt.Sprintf("r%04d", i-1))
		}
		if i%100 >= 50 && i%10 == 0 {
			inherits = append(inherits, fmt.Sprintf("r%04d", i-50)) // diamond within the chain
		}
		if len(inherits) > 0 {
			fmt.Fprintf(&b, "    inherits: [%s]\n", strings.Join(inherits, ", "))
		}
		b.WriteString("    permissions:\n")
		for j := range permsPerRole {
			fmt.Fprintf(&b, "      - res%d:act%d\n", i, j)
		}
		if i%25 == 0 {
			fmt.Fprintf(&b, "      - \"wild%d:*\"\n", i)
		}
		if i%100 == 99 {
			fmt.Fprintf(&b, "      - \"*:audit%d\"\n", i)
		}
	}
	b.WriteString("services:\n")
	for i := 0; i < roles; i += 10 {
		fmt.Fprintf(&b, "  - principal: spiffe://cluster.local/ns/ns%d/sa/app\n    roles: [r%04d]\n", i, i)
		fmt.Fprintf(&b, "  - principal_prefix: spiffe://cluster.local/ns/ns%d/\n    roles: [r%04d]\n", i, i+1)
	}
	b.WriteString("routes:\n")
	for i := range 99 {
		fmt.Fprintf(&b, "  - name: route%d\n    prefix: /api/svc%d\n    methods: [GET]\n    permission: res%d:act0\n", i, i, i)
	}
	b.WriteString("  - name: catch-all\n    regex: /v[0-9]+/.*\n    permission: res0:act1\n")
	return []byte(b.String())
}

// benchPolicy is the 1,000-role, 10,000-permission policy of the brief.
func benchPolicy(tb testing.TB) *Policy {
	tb.Helper()
	p, err := Parse("generated.yaml", generatedPolicy(1000, 10), "production")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestGeneratedPolicy(t *testing.T) {
	p := benchPolicy(t)
	tests := []struct {
		roles []string
		perm  string
		want  bool
	}{
		{[]string{"r0999"}, "res900:act3", true},    // 99 levels up the chain
		{[]string{"r0999"}, "res899:act3", false},   // previous chain
		{[]string{"r0960"}, "res910:act0", true},    // via chain and diamond edge
		{[]string{"r0999"}, "wild925:delete", true}, // inherited resource wildcard
		{[]string{"r0999"}, "x:audit999", true},     // own action wildcard
		{[]string{"r0998"}, "x:audit999", false},    // child's wildcard is not inherited upward
		{[]string{"r0999"}, "nosuch:perm", false},
	}
	for _, tt := range tests {
		if got := p.Allowed(tt.roles, tt.perm); got != tt.want {
			t.Errorf("Allowed(%q, %q) = %v, want %v", tt.roles, tt.perm, got, tt.want)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	data := generatedPolicy(1000, 10)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("generated.yaml", data, "production"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAllowed(b *testing.B) {
	p := benchPolicy(b)
	cases := []struct {
		name  string
		roles []string
		perm  string
		want  bool
	}{
		{name: "hit", roles: []string{"r0999"}, perm: "res900:act3", want: true},
		{name: "miss", roles: []string{"r0999"}, perm: "res1:act1", want: false},
		{name: "miss-unknown-permission", roles: []string{"r0999"}, perm: "nosuch:perm", want: false},
		{name: "5-roles-hit-last", roles: []string{"ghost", "r0100", "r0250", "r0500", "r0999"}, perm: "res999:act9", want: true},
		{name: "5-roles-miss", roles: []string{"ghost", "r0100", "r0250", "r0500", "r0999"}, perm: "res0:act9", want: false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if p.Allowed(c.roles, c.perm) != c.want {
					b.Fatal("wrong answer")
				}
			}
		})
	}
}

func BenchmarkServiceRoles(b *testing.B) {
	p := benchPolicy(b)
	cases := []struct{ name, principal string }{
		{"exact", "spiffe://cluster.local/ns/ns500/sa/app"},
		{"prefix", "spiffe://cluster.local/ns/ns990/sa/other"},
		{"none", "spiffe://elsewhere/ns/x/sa/y"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = p.ServiceRoles(c.principal)
			}
		})
	}
}

func BenchmarkMatchRoute(b *testing.B) {
	p := benchPolicy(b)
	cases := []struct{ name, method, path string }{
		{"prefix-first", "GET", "/api/svc0/items/1"},
		{"prefix-last", "GET", "/api/svc98/items/1"},
		{"regex-after-99", "GET", "/v2/items"},
		{"none", "GET", "/nothing/here"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.MatchRoute(c.method, c.path)
			}
		})
	}
}
