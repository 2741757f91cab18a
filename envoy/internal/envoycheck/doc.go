// Package envoycheck checks an Envoy v3 bootstrap file offline, the way
// Envoy would load it, plus the rules this project relies on.
//
// Envoy cannot run in our tests, so a config is checked in three passes:
//
//  1. Parse: YAML is converted to JSON (duplicate keys rejected) and
//     unmarshalled with protojson into bootstrap/v3.Bootstrap. Unknown
//     fields are errors, and every typed_config Any must name a type that is
//     linked into this package (see extensions.go), so a misspelt key
//     anywhere, even deep inside a filter config, fails here.
//  2. Validate: the protoc-gen-validate rules (ValidateAll) of the bootstrap
//     and of every Any unpacked from it, recursively; ValidateAll does not
//     descend into Any fields by itself.
//  3. Cross-reference: what Envoy rejects at load only after validation
//     (router not last, ext_authz without transport_api_version V3), and
//     what Envoy accepts but that would silently break the authz contract
//     (a route or gRPC service naming a missing cluster, a per-route config
//     under a key naming no filter, ext_authz failing open, ratelimit running
//     before ext_authz).
//
// Every finding is a *RuleError naming the file, the rule and the field
// path, so callers (tests, a future config-check command) can report all of
// them at once and match on the rule.
//
// Known limits: routes delivered by RDS and clusters delivered by CDS are not
// available offline, so the checks that need them are skipped for such
// configs; Envoy runtime and environment (files, certificates, DNS) are not
// checked.
package envoycheck
