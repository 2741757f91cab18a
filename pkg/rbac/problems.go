package rbac

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/martyedge/security/internal/yamlx"
)

// problems collects validation errors so that Parse reports them all at
// once, each positioned in the file through the decoded document tree.
// Only the first yamlx.MaxErrors are kept: positioning one costs a walk
// down the document, and a file with thousands of broken roles should not
// take minutes to reject.
type problems struct {
	file    string
	root    *yaml.Node
	errs    []*yamlx.Error
	dropped int
}

// addf records a problem with field; format is as for fmt.Errorf.
func (p *problems) addf(field, format string, args ...any) {
	if len(p.errs) >= yamlx.MaxErrors {
		p.dropped++
		return
	}
	p.errs = append(p.errs, yamlx.Errorf(p.file, p.root, field, format, args...))
}

// addAt records a problem whose displayed field differs from the path
// that locates it (the rate_limits section names rules in its fields).
func (p *problems) addAt(path, field, msg string) {
	if len(p.errs) >= yamlx.MaxErrors {
		p.dropped++
		return
	}
	p.errs = append(p.errs, &yamlx.Error{File: p.file, Line: yamlx.Line(p.root, path), Field: field, Msg: msg})
}

// add records a problem that has no position in the file.
func (p *problems) add(err error) {
	p.errs = append(p.errs, &yamlx.Error{File: p.file, Msg: err.Error(), Err: err})
}

// err returns the problems in file order, joined, or nil if there are none.
func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(p.errs, func(a, b *yamlx.Error) int { return cmp.Compare(a.Line, b.Line) })
	errs := make([]error, 0, len(p.errs)+1)
	for _, e := range p.errs {
		errs = append(errs, e)
	}
	if p.dropped > 0 {
		errs = append(errs, yamlx.TooManyErrors(p.file, p.dropped))
	}
	return errors.Join(errs...)
}

// field builds a path in the form yamlx.Line understands from keys and
// ints (sequence indexes): field("roles", "viewer", "permissions", 2) is
// "roles.viewer.permissions[2]".
func field(parts ...any) string {
	var b strings.Builder
	for _, p := range parts {
		switch v := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// checkName validates a role or route name: names travel in headers,
// claims and logs, where whitespace, commas and control characters would
// be ambiguous.
func checkName(name string) error {
	if name == "" {
		return errors.New("must not be empty")
	}
	if !utf8.ValidString(name) {
		return errors.New("must be valid UTF-8")
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == ',' {
			return fmt.Errorf("%q must not contain whitespace, commas or control characters", name)
		}
	}
	return nil
}

// sortedKeys returns the keys of m in order, so that checks and compiled
// structures do not depend on map iteration order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
