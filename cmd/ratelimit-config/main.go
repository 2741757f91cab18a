// Command ratelimit-config compiles the policy's rate_limits.global
// section for Envoy's global rate limiting: it writes the configuration
// of envoyproxy/ratelimit (ratelimit.yaml) and the Envoy rate_limits
// actions that feed it (envoy-rate-limits.yaml). See pkg/limits for the
// schema and pkg/limits/envoyrl for how to deploy the files.
//
//	ratelimit-config --policy FILE --out DIR   # write both files into DIR
//	ratelimit-config --policy FILE --check     # validate only
//
// A policy with problems exits with status 1 and one
// "file:line: field: message" line per problem; bad usage exits with 2.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/martyedge/security/pkg/limits/envoyrl"
	"github.com/martyedge/security/pkg/rbac"
)

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks errors the flag package or usage text already explained.
var errUsage = errors.New("usage")

// cli runs the command and returns the exit status.
func cli(args []string, stdout, stderr io.Writer) int {
	switch err := run(args, stdout, stderr); {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		// Policy errors are "file:line: field: msg" lines, ready for an
		// editor's quickfix list; no prefix in front of them.
		fmt.Fprintln(stderr, err)
		return 1
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ratelimit-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	policy := fs.String("policy", "", "policy file (required)")
	out := fs.String("out", "", "directory to write "+envoyrl.ServiceConfigFile+" and "+envoyrl.EnvoyConfigFile+" into (created if missing)")
	check := fs.Bool("check", false, "only validate the policy and its rate limits; write nothing")
	env := fs.String("environment", "production", "environment to validate the policy for (rate limits do not vary by environment)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: ratelimit-config --policy FILE (--out DIR | --check)\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "ratelimit-config: unexpected argument %q\n", fs.Arg(0))
	case *policy == "":
		fmt.Fprintln(stderr, "ratelimit-config: --policy is required")
	case *check == (*out != ""):
		fmt.Fprintln(stderr, "ratelimit-config: want exactly one of --out DIR or --check")
	default:
		return generate(*policy, *env, *out, stdout)
	}
	fs.Usage()
	return errUsage
}

// generate loads the policy, compiles its global rate limits and, unless
// out is empty (--check), writes the files.
func generate(policy, env, out string, stdout io.Writer) error {
	p, err := rbac.Load(policy, env)
	if err != nil {
		return err
	}
	rl := p.RateLimits()
	if rl == nil || rl.Global == nil {
		if out == "" {
			fmt.Fprintf(stdout, "%s: ok (no rate_limits.global section)\n", policy)
			return nil
		}
		return fmt.Errorf("%s: no rate_limits.global section: nothing to generate", policy)
	}
	files, err := envoyrl.Generate(rl.Global)
	if err != nil {
		// The policy loader has validated the section already.
		return fmt.Errorf("%s: %w", policy, err)
	}
	if out == "" {
		fmt.Fprintf(stdout, "%s: ok (%d global rate-limit rules)\n", policy, len(rl.Global.Rules))
		return nil
	}
	if err := files.WriteDir(out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", filepath.Join(out, envoyrl.ServiceConfigFile), filepath.Join(out, envoyrl.EnvoyConfigFile))
	return nil
}
