package yamlx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Sentinel causes carried by [Error.Err] for problems DecodeStrict detects,
// so callers and tests can tell them apart with errors.Is.
var (
	// ErrSyntax marks malformed YAML.
	ErrSyntax = errors.New("yaml syntax error")
	// ErrEmpty marks an input with no YAML document at all.
	ErrEmpty = errors.New("empty document")
	// ErrTrailingDocument marks a second "---" document after the first.
	ErrTrailingDocument = errors.New("trailing document")
	// ErrUnknownField marks a mapping key the target type has no field for.
	ErrUnknownField = errors.New("unknown field")
	// ErrDuplicateKey marks a mapping key given more than once.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrType marks a value of the wrong YAML kind for its field.
	ErrType = errors.New("wrong type")
)

// Error is a configuration error at a position in a file. Its text is
// "file:line: field: msg", leaving out the parts that are empty.
type Error struct {
	// File is the name the caller gave for the input, usually its path.
	File string
	// Line is 1-based; 0 when the position is unknown.
	Line int
	// Field is the dotted path of the offending field, e.g.
	// "roles.viewer.permissions[2]"; empty for whole-file problems.
	Field string
	// Msg describes the problem; it already includes the text of Err.
	Msg string
	// Err is the underlying cause, if any: one of this package's sentinels
	// or whatever Errorf's format wrapped with %w. It is what Unwrap returns.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	var pos string
	switch {
	case e.File != "" && e.Line > 0:
		pos = e.File + ":" + strconv.Itoa(e.Line)
	case e.File != "":
		pos = e.File
	case e.Line > 0:
		pos = "line " + strconv.Itoa(e.Line)
	}
	parts := make([]string, 0, 3)
	for _, s := range []string{pos, e.Field, e.Msg} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns the underlying cause so errors.Is and errors.As see it.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error for field, positioned with Line(root, field).
// The format is handled by fmt.Errorf, so a %w verb makes the wrapped error
// reachable through errors.Is and errors.As.
func Errorf(file string, root *yaml.Node, field string, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	e := &Error{File: file, Line: Line(root, field), Field: field, Msg: err.Error()}
	if wrapsSomething(err) {
		e.Err = err
	}
	return e
}

// wrapsSomething reports whether err (from fmt.Errorf) wrapped an error
// with %w; a plain message needs no Err.
func wrapsSomething(err error) bool {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return u.Unwrap() != nil
	case interface{ Unwrap() []error }:
		return len(u.Unwrap()) > 0
	}
	return false
}
