// Package yamlx owns strict YAML decoding for configuration files: the RBAC
// policy and the service configuration.
//
// Configuration mistakes should fail loudly and point at the offending line,
// so [DecodeStrict] rejects what the plain yaml.v3 decoder silently accepts
// (unknown keys, duplicate keys, trailing documents) and turns every decoder
// complaint into an [*Error] carrying file, line and a dotted field path such
// as "roles.viewer.permissions[2]". Loaders then validate the decoded value
// themselves and report semantic problems through [Errorf], which looks up
// the line of a field in the document tree returned by DecodeStrict, so both
// kinds of error read the same:
//
//	policy.yaml:14: roles.viewer.permissions[2]: invalid permission "orders:re ad": ...
//
// Field paths join mapping keys with "." and index sequence items with
// "[i]". Keys that themselves contain dots are resolved greedily by [Line],
// so "roles.team.lead.inherits" still finds the key "team.lead".
package yamlx
