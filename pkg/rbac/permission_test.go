package rbac

import (
	"errors"
	"testing"
)

func TestValidatePermission(t *testing.T) {
	tests := []struct {
		perm    string
		wantErr string // "" for valid
	}{
		{perm: "orders:read"},
		{perm: "orders.v2:re-index_all"},
		{perm: "A-Z.0_9:x"},
		{perm: "orders:*", wantErr: `invalid permission "orders:*": a required permission must be concrete, without wildcards`},
		{perm: "*:read", wantErr: `invalid permission "*:read": a required permission must be concrete, without wildcards`},
		{perm: "*", wantErr: `invalid permission "*": a required permission must be concrete, without wildcards`},
		{perm: "", wantErr: `invalid permission "": want "resource:action" or "*"`},
		{perm: "orders", wantErr: `invalid permission "orders": want "resource:action" or "*"`},
		{perm: "orders:", wantErr: `invalid permission "orders:": empty action`},
		{perm: ":read", wantErr: `invalid permission ":read": empty resource`},
		{perm: "a:b:c", wantErr: `invalid permission "a:b:c": want exactly one ":"`},
		{perm: "ord*:read", wantErr: `invalid permission "ord*:read": resource "ord*": a wildcard must be the whole resource`},
		{perm: "orders:re ad", wantErr: `invalid permission "orders:re ad": action "re ad" has invalid character ' ' (want letters, digits, '_', '.', '-')`},
		{perm: "ordérs:read", wantErr: `invalid permission "ordérs:read": resource "ordérs" has invalid character 'é' (want letters, digits, '_', '.', '-')`},
	}
	for _, tt := range tests {
		t.Run(tt.perm, func(t *testing.T) {
			err := ValidatePermission(tt.perm)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidatePermission(%q) = %v", tt.perm, err)
				}
			} else {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ValidatePermission(%q) = %v, want %s", tt.perm, err, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalidPermission) {
					t.Errorf("error does not wrap ErrInvalidPermission")
				}
			}
			// splitConcrete, used by Allowed, must agree.
			if _, _, ok := splitConcrete(tt.perm); ok != (err == nil) {
				t.Errorf("splitConcrete(%q) ok = %v, ValidatePermission error = %v", tt.perm, ok, err)
			}
		})
	}
}

func TestParseGrant(t *testing.T) {
	tests := []struct {
		in   string
		want grant
	}{
		{"*", grant{"*", "*"}},
		{"*:*", grant{"*", "*"}},
		{"orders:*", grant{"orders", "*"}},
		{"*:read", grant{"*", "read"}},
		{"orders:read", grant{"orders", "read"}},
	}
	for _, tt := range tests {
		got, err := parseGrant(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseGrant(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
