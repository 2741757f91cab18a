package ratelimit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/martyedge/security/pkg/limits"
	"github.com/martyedge/security/pkg/limits/envoyrl"
	"github.com/martyedge/security/pkg/rbac"
)

// repoRoot is the main module's directory, seen from this package.
var repoRoot = filepath.Join("..", "..")

// policy is a policy file whose rate_limits.global section is generated.
type policy struct {
	name string
	path string
}

// policies are the quick-start policy (what users copy) and the envoyrl
// fixture that uses every kind of descriptor entry.
func policies() []policy {
	return []policy{
		{"quickstart", filepath.Join(repoRoot, "examples", "quickstart", "policy.yaml")},
		{"full", filepath.Join(repoRoot, "pkg", "limits", "envoyrl", "testdata", "full", "policy.yaml")},
	}
}

// load returns the policy's global rate limits, loaded the way
// cmd/ratelimit-config loads them.
func (p policy) load(t *testing.T) *limits.Global {
	t.Helper()
	pol, err := rbac.Load(p.path, "production")
	if err != nil {
		t.Fatal(err)
	}
	rl := pol.RateLimits()
	if rl == nil || rl.Global == nil {
		t.Fatalf("%s has no rate_limits.global", p.path)
	}
	return rl.Global
}

// generate returns the generated files and the plan they render.
func (p policy) generate(t *testing.T) (*envoyrl.Output, *limits.Plan) {
	t.Helper()
	g := p.load(t)
	out, err := envoyrl.Generate(g)
	if err != nil {
		t.Fatalf("generate %s: %v", p.path, err)
	}
	plan, err := g.Plan()
	if err != nil {
		t.Fatalf("plan %s: %v", p.path, err)
	}
	return out, plan
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
