package yamlx

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

type testConfig struct {
	Name     string               `yaml:"name"`
	Port     int                  `yaml:"port"`
	Timeout  time.Duration        `yaml:"timeout"`
	Tags     []string             `yaml:"tags"`
	Limits   map[string]testLimit `yaml:"limits"`
	Backends []testBackend        `yaml:"backends"`
	Embedded `yaml:",inline"`
}

type testLimit struct {
	Rate  int `yaml:"rate"`
	Burst int `yaml:"burst"`
}

type testBackend struct {
	URL     string `yaml:"url"`
	Enabled bool   `yaml:"enabled"`
}

// Embedded checks that ",inline" fields count as known keys.
type Embedded struct {
	Debug bool `yaml:"debug"`
}

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    testConfig // checked only when wantErr is empty
		wantErr []string   // each joined error's text, in order
		is      error
	}{
		{
			name: "valid",
			input: `name: edge
port: 8080
timeout: 5s
debug: true
tags: [a, b]
limits:
  api: {rate: 10, burst: 20}
backends:
  - url: http://a
    enabled: true
`,
			want: testConfig{
				Name: "edge", Port: 8080, Timeout: 5 * time.Second, Tags: []string{"a", "b"},
				Limits:   map[string]testLimit{"api": {Rate: 10, Burst: 20}},
				Backends: []testBackend{{URL: "http://a", Enabled: true}},
				Embedded: Embedded{Debug: true},
			},
		},
		{
			name:    "unknown top-level field",
			input:   "name: edge\nprot: 8080\n",
			wantErr: []string{`c.yaml:2: prot: unknown field "prot" (valid fields: name, port, timeout, tags, limits, backends, debug)`},
			is:      ErrUnknownField,
		},
		{
			name:    "unknown field in map value",
			input:   "limits:\n  api:\n    rate: 1\n    brust: 2\n",
			wantErr: []string{`c.yaml:4: limits.api.brust: unknown field "brust" (valid fields: rate, burst)`},
			is:      ErrUnknownField,
		},
		{
			name:    "unknown field in sequence item",
			input:   "backends:\n  - url: a\n  - url: b\n    enable: true\n",
			wantErr: []string{`c.yaml:4: backends[1].enable: unknown field "enable" (valid fields: url, enabled)`},
			is:      ErrUnknownField,
		},
		{
			name:  "several errors in document order",
			input: "nme: a\nport: x\nlimits:\n  api: {rat: 1}\n",
			wantErr: []string{
				`c.yaml:1: nme: unknown field "nme" (valid fields: name, port, timeout, tags, limits, backends, debug)`,
				`c.yaml:2: port: expected an integer, got string "x"`,
				`c.yaml:4: limits.api.rat: unknown field "rat" (valid fields: rate, burst)`,
			},
			is: ErrUnknownField,
		},
		{
			name:    "duplicate top-level key",
			input:   "name: a\nport: 1\nname: b\n",
			wantErr: []string{`c.yaml:3: name: duplicate key "name" (first defined at line 1)`},
			is:      ErrDuplicateKey,
		},
		{
			name:    "duplicate key in a map of structs",
			input:   "limits:\n  api: {rate: 1}\n  web: {rate: 2}\n  api: {rate: 3}\n",
			wantErr: []string{`c.yaml:4: limits.api: duplicate key "api" (first defined at line 2)`},
			is:      ErrDuplicateKey,
		},
		{
			name:    "string for integer",
			input:   "port: eighty\n",
			wantErr: []string{`c.yaml:1: port: expected an integer, got string "eighty"`},
			is:      ErrType,
		},
		{
			name:    "long value is matched by its excerpt",
			input:   "port: a-very-long-port-name\n",
			wantErr: []string{`c.yaml:1: port: expected an integer, got string "a-very-long-port-name"`},
			is:      ErrType,
		},
		{
			name:    "scalar for list",
			input:   "tags: a\n",
			wantErr: []string{`c.yaml:1: tags: expected a list, got string "a"`},
			is:      ErrType,
		},
		{
			name:    "list item of wrong kind",
			input:   "tags:\n  - a\n  - {b: c}\n",
			wantErr: []string{`c.yaml:3: tags[1]: expected a string, got a mapping`},
			is:      ErrType,
		},
		{
			name:    "mapping for list",
			input:   "backends:\n  url: a\n",
			wantErr: []string{`c.yaml:2: backends: expected a list, got a mapping`},
			is:      ErrType,
		},
		{
			name:    "bad duration",
			input:   "timeout: soon\n",
			wantErr: []string{`c.yaml:1: timeout: expected a duration such as "5s", got string "soon"`},
			is:      ErrType,
		},
		{
			name:    "top level is not a mapping",
			input:   "- a\n",
			wantErr: []string{`c.yaml:1: expected a mapping, got a list`},
			is:      ErrType,
		},
		{
			name:    "trailing document",
			input:   "name: a\n---\nname: b\n",
			wantErr: []string{`c.yaml:2: trailing document: a file holds exactly one YAML document`},
			is:      ErrTrailingDocument,
		},
		{
			name:    "empty trailing document",
			input:   "name: a\n---\n",
			wantErr: []string{`c.yaml:2: trailing document: a file holds exactly one YAML document`},
			is:      ErrTrailingDocument,
		},
		{
			name:  "explicit document markers",
			input: "---\nname: a\n...\n",
			want:  testConfig{Name: "a"},
		},
		{
			name:    "syntax error",
			input:   "name: a\n  port: 1\n",
			wantErr: []string{`c.yaml:2: invalid YAML: mapping values are not allowed in this context`},
			is:      ErrSyntax,
		},
		{
			name:    "empty",
			input:   "",
			wantErr: []string{`c.yaml: empty document`},
			is:      ErrEmpty,
		},
		{
			name:    "only comments",
			input:   "# nothing here\n",
			wantErr: []string{`c.yaml: empty document`},
			is:      ErrEmpty,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got testConfig
			root, err := DecodeStrict("c.yaml", []byte(tt.input), &got)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("DecodeStrict: %v", err)
				}
				if root == nil {
					t.Fatal("DecodeStrict returned a nil root")
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("decoded %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("DecodeStrict succeeded, want %q", tt.wantErr)
			}
			if root != nil {
				t.Error("DecodeStrict returned a root with an error")
			}
			gotErrs := unjoin(err)
			if len(gotErrs) != len(tt.wantErr) {
				t.Fatalf("got %d errors %q, want %d %q", len(gotErrs), gotErrs, len(tt.wantErr), tt.wantErr)
			}
			for i, e := range gotErrs {
				var ye *Error
				if !errors.As(e, &ye) {
					t.Errorf("error %d is %T, want *Error", i, e)
				}
				if e.Error() != tt.wantErr[i] {
					t.Errorf("error %d:\n got %s\nwant %s", i, e, tt.wantErr[i])
				}
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
		})
	}
}

// unjoin lists the errors combined by errors.Join, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestDecodeStrictTooManyErrors checks that a file with thousands of
// mistakes is rejected quickly with the first MaxErrors of them.
func TestDecodeStrictTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("limits:\n")
	const n = 5000
	for i := range n {
		fmt.Fprintf(&b, "  l%d: {rate: 1, bogus: 2}\n", i)
	}
	var got testConfig
	_, err := DecodeStrict("c.yaml", []byte(b.String()), &got)
	errs := unjoin(err)
	if len(errs) != MaxErrors+1 {
		t.Fatalf("got %d errors, want %d", len(errs), MaxErrors+1)
	}
	if want := `c.yaml:2: limits.l0.bogus: unknown field "bogus" (valid fields: rate, burst)`; errs[0].Error() != want {
		t.Errorf("first error = %q, want %q", errs[0], want)
	}
	if want := fmt.Sprintf("c.yaml: too many errors: %d more not shown", n-MaxErrors); errs[MaxErrors].Error() != want {
		t.Errorf("last error = %q, want %q", errs[MaxErrors], want)
	}
}
