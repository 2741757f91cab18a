package limits

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Validate checks the section and returns its problems, in document order
// as far as the fields allow (nil if it is valid). refs supplies the role
// and route names the section may refer to.
//
// Field checks come first; the checks across rules of the global part
// (see [Global.Plan]) run only when every rule is well-formed on its own,
// since they would otherwise report noise about half-understood rules.
func (s *Spec) Validate(refs Refs) []Problem {
	if s == nil {
		return nil
	}
	c := &collector{}
	if s.PerUser == nil && s.Global == nil {
		c.addf(at{}, "want per_user, global or both")
	}
	if s.PerUser != nil {
		checkPerUser(c, at{}.key("per_user"), s.PerUser, refs)
	}
	if s.Global != nil {
		checkGlobal(c, at{}.key("global"), s.Global, refs)
	}
	return c.problems()
}

// checkName validates a rule name or a domain: both appear in the
// service configuration, its statistics and Envoy's x-ratelimit-limit
// header, so they keep to a conservative character set.
func checkName(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	for _, r := range s {
		if !nameRune(r) {
			return fmt.Errorf("%q has invalid character %q (want letters, digits, '_', '.', '-')", s, r)
		}
	}
	return nil
}

func nameRune(r rune) bool {
	return r < utf8.RuneSelf && (r == '_' || r == '.' || r == '-' ||
		'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
}

// checkDescriptorKey validates a descriptor key. '.' is excluded because
// envoyproxy/ratelimit joins levels with it in statistics names.
func checkDescriptorKey(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	for _, r := range s {
		if r == '.' || !nameRune(r) {
			return fmt.Errorf("%q has invalid character %q (want letters, digits, '_', '-')", s, r)
		}
	}
	return nil
}

// checkValue validates a value written into the service configuration,
// where envoyproxy/ratelimit would read '*' as a wildcard.
func checkValue(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("must be valid UTF-8")
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return fmt.Errorf("%q must not contain control characters", s)
	}
	if strings.Contains(s, "*") {
		return fmt.Errorf("%q must not contain '*': envoyproxy/ratelimit reads it as a wildcard, and values here are exact", s)
	}
	return nil
}

// kinds lists the sources an entry sets, in schema order.
func (e Entry) kinds() []string {
	var ks []string
	if e.RemoteAddress {
		ks = append(ks, "remote_address")
	}
	if e.Header != nil {
		ks = append(ks, "header")
	}
	if e.Metadata != nil {
		ks = append(ks, "metadata")
	}
	if e.GenericKey != nil {
		ks = append(ks, "generic_key")
	}
	if e.Route != "" {
		ks = append(ks, "route")
	}
	if e.PathPrefix != "" {
		ks = append(ks, "path_prefix")
	}
	return ks
}

// sortedKeys returns the keys of m in order, so that problems do not
// depend on map iteration order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
