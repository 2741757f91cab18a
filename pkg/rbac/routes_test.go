package rbac

import "testing"

func TestMatchRoute(t *testing.T) {
	p := mustLoad(t, "full.yaml", "production")
	tests := []struct {
		name         string
		method, path string
		want         string // route name; "" for no match
	}{
		{name: "exact path", method: "GET", path: "/healthz", want: "health"},
		{name: "exact path is whole path", method: "GET", path: "/healthz/x", want: "everything"},
		{name: "regex with method", method: "DELETE", path: "/api/orders/42", want: "orders-delete"},
		{name: "regex anchored at end", method: "DELETE", path: "/api/orders/42x", want: "orders-read"},
		{name: "regex anchored at start", method: "DELETE", path: "/v2/api/orders/42", want: "everything"},
		{name: "method selects route", method: "POST", path: "/api/orders", want: "orders-write"},
		{name: "first match wins", method: "GET", path: "/api/orders/42", want: "orders-read"},
		{name: "prefix equal to path", method: "GET", path: "/api/orders", want: "orders-read"},
		{name: "prefix segment boundary", method: "GET", path: "/api/ordersX", want: "everything"},
		{name: "prefix with trailing slash is plain", method: "GET", path: "/static/app.js", want: "static"},
		{name: "trailing slash prefix needs the slash", method: "GET", path: "/static", want: "everything"},
		{name: "regex alternative", method: "GET", path: "/reports/weekly/2024", want: "reports"},
		{name: "methods are case sensitive", method: "post", path: "/api/orders", want: "orders-read"},
		{name: "catch-all", method: "PUT", path: "/", want: "everything"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := p.MatchRoute(tt.method, tt.path)
			if got := routeName(r, ok); got != tt.want {
				t.Errorf("MatchRoute(%s, %s) = %q, want %q", tt.method, tt.path, got, tt.want)
			}
		})
	}

	t.Run("route fields", func(t *testing.T) {
		r, _ := p.MatchRoute("GET", "/reports/daily")
		if want := (Route{Name: "reports", Permission: "reports:read", Shadow: true}); *r != want {
			t.Errorf("route = %+v, want %+v", *r, want)
		}
		r, _ = p.MatchRoute("GET", "/static/x")
		if want := (Route{Name: "static", Public: true}); *r != want {
			t.Errorf("route = %+v, want %+v", *r, want)
		}
	})
}

func TestMatchRouteNoRoutes(t *testing.T) {
	p, err := Parse("p.yaml", []byte("version: 1\n"), "staging")
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := p.MatchRoute("GET", "/"); ok || r != nil {
		t.Errorf("MatchRoute on empty table = %v, %v; want nil, false", r, ok)
	}
}

func TestPrefixMatches(t *testing.T) {
	tests := []struct {
		prefix, path string
		want         bool
	}{
		{"/api/orders", "/api/orders", true},
		{"/api/orders", "/api/orders/", true},
		{"/api/orders", "/api/orders/1", true},
		{"/api/orders", "/api/ordersX", false},
		{"/api/orders", "/api/order", false},
		{"/api/orders/", "/api/orders/1", true},
		{"/api/orders/", "/api/orders", false},
		{"/", "/anything", true},
		{"/", "", false},
	}
	for _, tt := range tests {
		if got := prefixMatches(tt.prefix, tt.path); got != tt.want {
			t.Errorf("prefixMatches(%q, %q) = %v, want %v", tt.prefix, tt.path, got, tt.want)
		}
	}
}
