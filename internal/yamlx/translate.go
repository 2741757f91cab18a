package yamlx

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yaml.v3 reports decoding problems only as strings ("line N: ..."). The
// functions below recognise the forms it produces (see decode.go in yaml.v3)
// so they can be re-stated with a field path and plain words; anything
// unrecognised is passed through with its line. TestDecodeStrict pins them.

// splitLine splits "yaml: line N: msg" or "line N: msg" into N and msg;
// line is 0 when the message carries none.
func splitLine(raw string) (line int, msg string) {
	msg = strings.TrimPrefix(raw, "yaml: ")
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0, msg
	}
	num, tail, ok := strings.Cut(rest, ": ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, msg
	}
	return n, tail
}

// translate turns one yaml.TypeError entry into an *Error with a field
// path, using root to find the node on the reported line and t (the type
// passed to DecodeStrict) to describe what was expected there.
func translate(file string, root *yaml.Node, t reflect.Type, raw string) *Error {
	line, msg := splitLine(raw)
	e := &Error{File: file, Line: line, Msg: msg}

	// "field NAME not found in type T"
	if name, ok := between(msg, "field ", " not found in type "); ok {
		e.Err = ErrUnknownField
		e.Msg = fmt.Sprintf("unknown field %q", name)
		segs, ok := find(root, isKey(line, name))
		if !ok {
			return e
		}
		e.Field = pathString(segs)
		if keys := knownKeys(typeAt(t, segs[:len(segs)-1])); len(keys) > 0 {
			e.Msg += " (valid fields: " + strings.Join(keys, ", ") + ")"
		}
		return e
	}

	// `mapping key "NAME" already defined at line M`
	if quoted, ok := between(msg, "mapping key ", " already defined at line "); ok {
		e.Err = ErrDuplicateKey
		first := msg[strings.LastIndex(msg, " ")+1:]
		key, err := strconv.Unquote(quoted)
		if err != nil {
			key = quoted
		}
		e.Msg = fmt.Sprintf("duplicate key %q (first defined at line %s)", key, first)
		if segs, ok := find(root, isKey(line, key)); ok {
			e.Field = pathString(segs)
		}
		return e
	}

	// "cannot unmarshal TAG `EXCERPT` into T"; collections have no excerpt.
	if what, ok := between(msg, "cannot unmarshal ", " into "); ok {
		e.Err = ErrType
		tag, excerpt, _ := strings.Cut(what, " ")
		excerpt = strings.TrimSuffix(strings.TrimPrefix(excerpt, "`"), "`")
		var got *yaml.Node
		segs, ok := find(root, func(_, v *yaml.Node) bool {
			if v.Line != line || v.ShortTag() != tag || !valueMatches(v.Value, excerpt) {
				return false
			}
			got = v
			return true
		})
		if !ok {
			return e
		}
		e.Field = pathString(segs)
		if want := typeAt(t, segs); want != nil {
			e.Msg = fmt.Sprintf("expected %s, got %s", describeType(want), describeNode(got))
		}
		return e
	}
	return e
}

// between returns the text of s after prefix and before the last
// occurrence of sep, if s has that shape.
func between(s, prefix, sep string) (string, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return "", false
	}
	i := strings.LastIndex(rest, sep)
	if i < 0 {
		return "", false
	}
	return rest[:i], true
}

// isKey matches the mapping key named name on the given line.
func isKey(line int, name string) func(k, v *yaml.Node) bool {
	return func(k, _ *yaml.Node) bool {
		return k != nil && k.Line == line && k.Value == name
	}
}

// valueMatches compares a scalar with the excerpt yaml.v3 puts in its
// message: the whole value, or its first 7 bytes followed by "..." when it
// is longer than 10 bytes. Collections have no excerpt.
func valueMatches(value, excerpt string) bool {
	if excerpt == "" {
		return true
	}
	if len(value) > 10 {
		head, ok := strings.CutSuffix(excerpt, "...")
		return ok && strings.HasPrefix(value, head)
	}
	return value == excerpt
}
