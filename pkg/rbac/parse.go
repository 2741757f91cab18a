package rbac

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/martyedge/security/internal/yamlx"
)

// Load reads the policy file at path and parses it for environment; see
// Parse. Errors from Parse already name the file and are returned as they
// are.
func Load(path, environment string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	return Parse(path, data, environment)
}

// Parse decodes, validates and compiles a policy for environment, which
// must be development, staging or production. filename is used only in
// error messages. On failure it returns the problems found (up to
// yamlx.MaxErrors, then a count of the rest), joined with errors.Join and
// in file order, each a *yamlx.Error naming file, line and field; problems
// with the environment wrap ErrUnknownEnvironment and problems with
// permission syntax wrap ErrInvalidPermission.
func Parse(filename string, data []byte, environment string) (*Policy, error) {
	var f policyFile
	root, err := yamlx.DecodeStrict(filename, data, &f)
	p := &problems{file: filename, root: root}
	checkSelectedEnvironment(p, environment)
	if err != nil {
		// The decoded value is incomplete; semantic checks would only
		// add noise.
		return nil, errors.Join(p.err(), err)
	}

	switch {
	case f.Version == nil:
		p.addf("version", "required: set version: 1")
	case *f.Version != 1:
		p.addf("version", "unsupported version %d (want 1)", *f.Version)
	}
	checkRoles(p, f.Roles)
	checkServices(p, "services", f.Services, f.Roles)
	checkEnvironments(p, &f)
	checkSessions(p, f.Sessions, f.Roles)
	checkRateLimits(p, f.RateLimits, f.Roles, f.Routes)
	routes := buildRoutes(p, f.Routes)
	if err := p.err(); err != nil {
		return nil, err
	}

	env := f.Environments[environment]
	roleIndex, roles, ids := compileRoles(f.Roles, env.Roles)
	sum := sha256.Sum256(data)
	return &Policy{
		version:     "sha256:" + hex.EncodeToString(sum[:8]),
		environment: environment,
		roleIndex:   roleIndex,
		roles:       roles,
		grantIDs:    ids,
		services:    compileServices(f.Services, env.Services),
		routes:      routes,
		sessions:    compileSessions(f.Sessions),
		rateLimits:  f.RateLimits,
	}, nil
}
