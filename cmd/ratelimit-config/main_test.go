package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const quickstart = "../../examples/quickstart/policy.yaml"

// golden is where pkg/limits/envoyrl keeps the files generated from the
// quick-start policy.
const golden = "../../pkg/limits/envoyrl/testdata/quickstart"

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	bad := write("bad.yaml", `version: 1
roles:
  viewer: {}
rate_limits:
  global:
    domain: edge
    rules:
      - name: orders-per-tenant
        descriptor: [{metadata: {key: tenant}}]
        limit: {requests: 600, unit: minutes}
`)
	noGlobal := write("no-global.yaml", "version: 1\nroles:\n  viewer: {}\n")
	blocker := write("blocker", "")

	tests := []struct {
		name       string
		args       []string // "OUT" is replaced by a fresh directory
		code       int
		stdout     string // substring
		stderr     string // substring
		wantFiles  bool
		wantNoFile bool
	}{
		{name: "ok", args: []string{"--policy", quickstart, "--out", "OUT"}, code: 0, stdout: "wrote ", wantFiles: true},
		{name: "check", args: []string{"--policy", quickstart, "--check"}, code: 0, stdout: quickstart + ": ok (4 global rate-limit rules)", wantNoFile: true},
		{
			name: "bad policy", args: []string{"--policy", bad, "--out", "OUT"}, code: 1,
			stderr:     bad + `:10: rate_limits.global.rules[0](orders-per-tenant).limit.unit: unknown unit "minutes" (want second, minute, hour, day)` + "\n",
			wantNoFile: true,
		},
		{
			name: "bad policy, check", args: []string{"--policy", bad, "--check"}, code: 1,
			stderr: bad + ":10: rate_limits.global.rules[0](orders-per-tenant).limit.unit: ",
		},
		{name: "missing policy", args: []string{"--policy", filepath.Join(dir, "nope.yaml"), "--check"}, code: 1, stderr: "load policy: open "},
		{name: "no global section, check", args: []string{"--policy", noGlobal, "--check"}, code: 0, stdout: "ok (no rate_limits.global section)"},
		{name: "no global section", args: []string{"--policy", noGlobal, "--out", "OUT"}, code: 1, stderr: "no rate_limits.global section: nothing to generate", wantNoFile: true},
		{name: "unwritable dir", args: []string{"--policy", quickstart, "--out", filepath.Join(blocker, "sub")}, code: 1, stderr: "write rate-limit config: mkdir "},
		{name: "no flags", args: nil, code: 2, stderr: "--policy is required"},
		{name: "out and check", args: []string{"--policy", quickstart, "--check", "--out", "OUT"}, code: 2, stderr: "want exactly one of --out DIR or --check", wantNoFile: true},
		{name: "neither out nor check", args: []string{"--policy", quickstart}, code: 2, stderr: "want exactly one of --out DIR or --check"},
		{name: "extra argument", args: []string{"--policy", quickstart, "--check", "extra"}, code: 2, stderr: `unexpected argument "extra"`},
		{name: "unknown flag", args: []string{"--polcy", quickstart}, code: 2, stderr: "flag provided but not defined: -polcy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "OUT", out)
			}
			var stdout, stderr bytes.Buffer
			code := cli(args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout %q, want it to contain %q", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tt.stderr)
			}
			if tt.wantFiles {
				for _, name := range []string{"ratelimit.yaml", "envoy-rate-limits.yaml"} {
					got, err := os.ReadFile(filepath.Join(out, name))
					if err != nil {
						t.Fatal(err)
					}
					want, err := os.ReadFile(filepath.Join(golden, name))
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Errorf("%s differs from %s", name, filepath.Join(golden, name))
					}
				}
			}
			if tt.wantNoFile {
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("%s exists (%v), want nothing written", out, err)
				}
			}
		})
	}
}
