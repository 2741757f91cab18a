package yamlx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// DecodeStrict decodes data into v rejecting unknown fields, duplicate keys
// and trailing documents; it returns the document root node for position
// lookups with [Line] and [Errorf]. Errors are *Error naming file, line and
// field; when there are several they are combined with errors.Join, in
// document order. Input without any document (empty, or only comments) is
// an error wrapping [ErrEmpty].
func DecodeStrict(filename string, data []byte, v any) (*yaml.Node, error) {
	// Parse into a node tree first: it gives positions for later lookups,
	// and the stream decoder detects a trailing document.
	stream := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := stream.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: filename, Msg: ErrEmpty.Error(), Err: ErrEmpty}
		}
		return nil, syntaxError(filename, err)
	}
	var extra yaml.Node
	switch err := stream.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(filename, err)
	default:
		return nil, &Error{
			File: filename,
			Line: extra.Line,
			Msg:  "trailing document: a file holds exactly one YAML document",
			Err:  ErrTrailingDocument,
		}
	}

	// yaml.Node.Decode cannot reject unknown fields, so decode the bytes
	// again with a strict decoder; the input is small configuration.
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	err := strict.Decode(v)
	if err == nil {
		return &root, nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		// A custom UnmarshalYAML failed, or excessive aliasing.
		line, msg := splitLine(err.Error())
		return nil, &Error{File: filename, Line: line, Msg: msg, Err: err}
	}
	t := reflect.TypeOf(v)
	shown := min(len(te.Errors), MaxErrors)
	errs := make([]error, 0, shown+1)
	for _, msg := range te.Errors[:shown] {
		errs = append(errs, translate(filename, &root, t, msg))
	}
	if more := len(te.Errors) - shown; more > 0 {
		errs = append(errs, TooManyErrors(filename, more))
	}
	return nil, errors.Join(errs...)
}

// MaxErrors bounds how many errors DecodeStrict reports, like a compiler
// stopping after a screenful: positioning each one costs a walk of the
// document, and nobody reads the thousandth.
const MaxErrors = 50

// TooManyErrors is the error that stands for the n errors left unreported
// after the first MaxErrors; loaders that cap their own checks use it too.
func TooManyErrors(file string, n int) *Error {
	return &Error{File: file, Msg: fmt.Sprintf("too many errors: %d more not shown", n)}
}

// syntaxError converts a parser error such as
// "yaml: line 3: did not find expected key".
func syntaxError(filename string, err error) *Error {
	line, msg := splitLine(err.Error())
	return &Error{File: filename, Line: line, Msg: "invalid YAML: " + msg, Err: ErrSyntax}
}
