package yamlx

import (
	"errors"
	"io/fs"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{name: "all parts", err: Error{File: "p.yaml", Line: 3, Field: "roles.a", Msg: "bad"}, want: "p.yaml:3: roles.a: bad"},
		{name: "no line", err: Error{File: "p.yaml", Field: "roles.a", Msg: "bad"}, want: "p.yaml: roles.a: bad"},
		{name: "no field", err: Error{File: "p.yaml", Line: 3, Msg: "bad"}, want: "p.yaml:3: bad"},
		{name: "no file", err: Error{Line: 3, Field: "roles.a", Msg: "bad"}, want: "line 3: roles.a: bad"},
		{name: "message only", err: Error{Msg: "bad"}, want: "bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorf(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte("a:\n  b: [x, y]\n"), &root); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		field  string
		format string
		args   []any
		want   string
		wraps  error
	}{
		{name: "plain", field: "a.b", format: "bad %q", args: []any{"y"}, want: `p.yaml:2: a.b: bad "y"`},
		{name: "wrapped", field: "a.b[1]", format: "cannot use it: %w", args: []any{fs.ErrInvalid}, want: "p.yaml:2: a.b[1]: cannot use it: invalid argument", wraps: fs.ErrInvalid},
		{name: "missing field falls back", field: "a.c", format: "required", want: "p.yaml:1: a.c: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Errorf("p.yaml", &root, tt.field, tt.format, tt.args...)
			if err.Error() != tt.want {
				t.Errorf("Errorf() = %q, want %q", err, tt.want)
			}
			if tt.wraps != nil && !errors.Is(err, tt.wraps) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wraps)
			}
			if tt.wraps == nil && err.Unwrap() != nil {
				t.Errorf("Unwrap() = %v, want nil", err.Unwrap())
			}
		})
	}
}
