package authz_test

import (
	"testing"

	"github.com/martyedge/security/internal/envoytest"
)

// BenchmarkCheck measures a whole Check in process (no gRPC): request
// parsing, the token cache, route resolution, RBAC and the response.
func BenchmarkCheck(b *testing.B) {
	k := newKeys(b)
	f := newFixture(b, k)
	tok := k.sign(b, claims("alice", "developer"))
	cases := []struct {
		name string
		path string
		opts []envoytest.Option
	}{
		{"allow/cached-token/route-table", "/api/orders/42?expand=items", []envoytest.Option{envoytest.Bearer(tok)}},
		{"allow/cached-token/context-extensions", "/api/orders/42", []envoytest.Option{envoytest.Bearer(tok), envoytest.Extensions(map[string]string{"permission": "orders:read"})}},
		{"allow/mtls-service", "/api/inventory/1", []envoytest.Option{envoytest.Principal("spiffe://cluster.local/ns/billing/sa/billing")}},
		{"deny/insufficient-permission", "/api/inventory/1", []envoytest.Option{envoytest.Bearer(tok)}},
		{"deny/missing-token", "/api/orders/42", nil},
		{"allow/public", "/docs/intro", nil},
	}
	for _, tc := range cases {
		req := envoytest.Request("GET", tc.path, tc.opts...)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := b.Context()
			for b.Loop() {
				if _, err := f.svc.Check(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
