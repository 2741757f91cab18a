package envoyrl

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/martyedge/security/pkg/limits"
	"github.com/martyedge/security/pkg/rbac"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// fixture is a policy and the directory holding its generated files.
type fixture struct {
	name, policy, dir string
}

func fixtures() []fixture {
	return []fixture{
		{"full", filepath.Join("testdata", "full", "policy.yaml"), filepath.Join("testdata", "full")},
		{"quickstart", filepath.Join("..", "..", "..", "examples", "quickstart", "policy.yaml"), filepath.Join("testdata", "quickstart")},
	}
}

// load returns the fixture's global rate limits, loaded the way
// ratelimit-config loads them.
func (f fixture) load(t *testing.T) *limits.Global {
	t.Helper()
	p, err := rbac.Load(f.policy, "production")
	if err != nil {
		t.Fatal(err)
	}
	if p.RateLimits() == nil || p.RateLimits().Global == nil {
		t.Fatalf("%s has no rate_limits.global", f.policy)
	}
	return p.RateLimits().Global
}

// TestGolden compares the generated files with testdata/<fixture>/; run
// with -update to rewrite them.
func TestGolden(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			out, err := Generate(f.load(t))
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := out.WriteDir(f.dir); err != nil {
					t.Fatal(err)
				}
			}
			for name, got := range map[string][]byte{ServiceConfigFile: out.ServiceConfig, EnvoyConfigFile: out.EnvoyRateLimits} {
				want, err := os.ReadFile(filepath.Join(f.dir, name))
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from %s:\n got:\n%s\nwant:\n%s", name, filepath.Join(f.dir, name), got, want)
				}
			}
		})
	}
}

// TestDeterministic generates each fixture repeatedly, from freshly
// loaded policies, and wants the same bytes every time.
func TestDeterministic(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			first, err := Generate(f.load(t))
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				again, err := Generate(f.load(t))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(first.ServiceConfig, again.ServiceConfig) || !bytes.Equal(first.EnvoyRateLimits, again.EnvoyRateLimits) {
					t.Fatal("output differs between runs")
				}
			}
		})
	}
}

func TestGenerateInvalid(t *testing.T) {
	_, err := Generate(&limits.Global{Domain: "edge"})
	if want := "rate_limits.global.rules: want at least one rule"; err == nil || err.Error() != want {
		t.Errorf("Generate error = %v, want %s", err, want)
	}
}

func TestWriteDir(t *testing.T) {
	out := &Output{ServiceConfig: []byte("svc\n"), EnvoyRateLimits: []byte("envoy\n")}
	dir := filepath.Join(t.TempDir(), "new", "dir")
	if err := out.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	// Again, over the existing files.
	if err := out.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", e.Name(), info.Mode().Perm())
		}
	}
	// No temporary files left behind.
	if len(names) != 2 || names[0] != EnvoyConfigFile || names[1] != ServiceConfigFile {
		t.Errorf("dir holds %q", names)
	}

	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := out.WriteDir(filepath.Join(blocker, "sub")); err == nil {
		t.Error("WriteDir under a regular file succeeded")
	}
}
