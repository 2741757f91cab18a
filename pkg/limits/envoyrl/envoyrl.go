// Package envoyrl renders the policy's global rate limits (a
// [limits.Plan]) for Envoy's global rate limiting: the configuration
// file of envoyproxy/ratelimit ([ServiceConfig]) and the Envoy route
// rate_limits actions that produce the descriptors it expects
// ([RateLimits], [EnvoyConfig]). cmd/ratelimit-config writes both.
//
// Output is deterministic: the same rules give the same bytes.
//
// Deploying the two files:
//
//   - ratelimit.yaml goes where envoyproxy/ratelimit reads its
//     configuration (RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/config/). It is
//     the whole file for the plan's domain.
//   - envoy-rate-limits.yaml holds a rate_limits list for the virtual
//     host (config.route.v3.VirtualHost.rate_limits) of every virtual host
//     the rules should cover. A route with rate_limits of its own ignores
//     the virtual host's unless RateLimitPerRoute says INCLUDE.
//   - Envoy's ratelimit HTTP filter must use the plan's domain and come
//     after ext_authz in http_filters, or metadata entries see nothing.
package envoyrl

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/martyedge/security/pkg/limits"
)

// The files ratelimit-config writes.
const (
	ServiceConfigFile = "ratelimit.yaml"
	EnvoyConfigFile   = "envoy-rate-limits.yaml"
)

// Output holds the generated files.
type Output struct {
	ServiceConfig   []byte // ServiceConfigFile
	EnvoyRateLimits []byte // EnvoyConfigFile
}

// Generate compiles g (see [limits.Global.Plan]) and renders both files.
func Generate(g *limits.Global) (*Output, error) {
	p, err := g.Plan()
	if err != nil {
		return nil, err
	}
	svc, err := ServiceConfig(p)
	if err != nil {
		return nil, err
	}
	env, err := EnvoyConfig(p)
	if err != nil {
		return nil, err
	}
	return &Output{ServiceConfig: svc, EnvoyRateLimits: env}, nil
}

// WriteDir writes the files into dir, creating it if needed. Each file is
// written to a temporary file and renamed into place, so a reader never
// sees half a file.
func (o *Output) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write rate-limit config: %w", err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{ServiceConfigFile, o.ServiceConfig}, {EnvoyConfigFile, o.EnvoyRateLimits}} {
		if err := writeFile(filepath.Join(dir, f.name), f.data); err != nil {
			return fmt.Errorf("write rate-limit config: %w", err)
		}
	}
	return nil
}

func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	err = errors.Join(
		func() error { _, err := tmp.Write(data); return err }(),
		tmp.Chmod(0o644),
		tmp.Close(),
	)
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}
