package headers

import (
	"testing"

	"github.com/martyedge/security/internal/yamlx"
)

// decode parses a headers section strictly, as pkg/rbac does.
func decode(t testing.TB, src string) *Spec {
	t.Helper()
	var s Spec
	if _, err := yamlx.DecodeStrict("headers.yaml", []byte(src), &s); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return &s
}

// compile compiles src for env, failing the test on error.
func compile(t testing.TB, s *Spec, env string) *Set {
	t.Helper()
	set, err := Compile(s, env)
	if err != nil {
		t.Fatalf("compile %s: %v", env, err)
	}
	return set
}
