package authzv1

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// protocVersionLine is the one line of generated code that depends on the
// local protoc build rather than on the .proto files and the pinned plugins;
// it is left out of the comparison so that any protoc 3.x/2x works.
var protocVersionLine = regexp.MustCompile(`(?m)^//\s+protoc\s+\S+\n`)

// TestGeneratedCodeIsCurrent regenerates the code with scripts/proto.sh
// (which installs the pinned plugins when missing, but never protoc: a test
// does not run apt-get) into a temporary directory and fails when the
// committed files differ.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	root := moduleRoot(t)
	out := t.TempDir()
	cmd := exec.CommandContext(t.Context(), "bash", filepath.Join(root, "scripts", "proto.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PROTO_OUT="+out, "PROTO_NO_APT=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/proto.sh: %v\n%s\nprotoc and the plugins are needed: run scripts/proto.sh (it installs them)", err, msg)
	}

	rel := filepath.Join("proto", "marty", "authz", "v1")
	fresh, err := filepath.Glob(filepath.Join(out, rel, "*.pb.go"))
	if err != nil || len(fresh) == 0 {
		t.Fatalf("scripts/proto.sh generated no *.pb.go under %s (err %v)", rel, err)
	}
	committed, err := filepath.Glob("*.pb.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fresh {
		names = append(names, filepath.Base(f))
	}
	if !slices.Equal(names, committed) {
		t.Errorf("generated files %v, committed %v: run scripts/proto.sh (make proto)", names, committed)
	}
	for _, name := range names {
		want, err := os.ReadFile(filepath.Join(out, rel, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue // reported above
		} else if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(protocVersionLine.ReplaceAll(got, nil), protocVersionLine.ReplaceAll(want, nil)) {
			t.Errorf("%s is stale: run scripts/proto.sh (make proto) and commit the result", name)
		}
	}
}

// moduleRoot walks up from the package directory to the go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}
