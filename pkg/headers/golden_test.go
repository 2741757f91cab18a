package headers

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// render writes every header list a set can produce, in a stable text
// form: this is what the golden files pin down.
func render(set *Set, profiles []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "environment %s, default profile %q\n", set.Environment(), set.Default().Name())
	for _, name := range profiles {
		p, ok := set.Profile(name)
		if !ok {
			fmt.Fprintf(&b, "\nprofile %s: not available\n", name)
			continue
		}
		fmt.Fprintf(&b, "\nprofile %s (remove via route config: %v)\n", name, p.Remove())
		for _, https := range []bool{false, true} {
			for _, auth := range []bool{false, true} {
				fmt.Fprintf(&b, "  allow https=%v authenticated=%v\n", https, auth)
				for _, h := range p.AllowHeaders(https, auth) {
					fmt.Fprintf(&b, "    %s: %s [%s]\n", h.GetHeader().GetKey(), h.GetHeader().GetValue(), h.GetAppendAction())
				}
			}
		}
		for _, https := range []bool{false, true} {
			fmt.Fprintf(&b, "  deny https=%v\n", https)
			for _, h := range p.DenyHeaders(https) {
				fmt.Fprintf(&b, "    %s: %s\n", h[0], h[1])
			}
		}
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec := decode(t, string(src))
	if ps := spec.Validate(nil); len(ps) > 0 {
		t.Fatalf("fixture invalid: %v", ps)
	}
	for _, env := range DefaultEnvironments {
		t.Run(env, func(t *testing.T) {
			got := render(compile(t, spec, env), sortedKeys(spec.Profiles))
			path := filepath.Join("testdata", env+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the compiled set (run with -update after checking):\n--- got\n%s--- want\n%s", path, got, want)
			}
		})
	}
}

func TestCompileRejectsInvalid(t *testing.T) {
	spec := &Spec{Environments: map[string]EnvironmentSpec{Production: {DefaultProfile: "missing"}}}
	_, err := Compile(spec, Production)
	if err == nil || !strings.Contains(err.Error(), `headers.environments.production.default_profile: unknown profile "missing"`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := Compile(nil, "prod"); err == nil {
		t.Fatal("unknown environment accepted")
	}
}

func TestNilSpecAndEmptyDefault(t *testing.T) {
	set := compile(t, nil, Production)
	if set.Default() == nil || set.Default().AllowHeaders(true, true) != nil || set.CORS() != nil {
		t.Fatal("nil spec must compile to an empty set with a non-nil default")
	}
	if _, ok := set.Profile("web"); ok {
		t.Fatal("profile found in empty set")
	}
}

// Appending to a returned slice must not write into the shared one.
func TestSharedSlicesAreClipped(t *testing.T) {
	spec := decode(t, "profiles: {p: {content_type_options: true, frame_options: DENY}}\n")
	p, _ := compile(t, spec, Production).Profile("p")
	a := p.AllowHeaders(false, false)
	if len(a) != cap(a) {
		t.Fatalf("allow: len %d cap %d", len(a), cap(a))
	}
	d := p.DenyHeaders(false)
	if len(d) != cap(d) {
		t.Fatalf("deny: len %d cap %d", len(d), cap(d))
	}
}
