package limits

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem is one validation error in the rate_limits section.
type Problem struct {
	// Field names the offending field relative to rate_limits, with the
	// rule's name after its index for readers:
	// "global.rules[2](orders-per-tenant).limit.unit".
	Field string
	// Path is Field without the rule names, in the dotted form
	// internal/yamlx resolves to a line: "global.rules[2].limit.unit".
	Path string
	// Msg says what is wrong.
	Msg string
}

// String returns "field: msg".
func (p Problem) String() string { return p.Field + ": " + p.Msg }

// Error carries the problems of a section that failed validation, for
// callers outside the policy loader (which reports them with lines).
type Error struct {
	Problems []Problem
}

// Error lists the problems one per line, each as "rate_limits.field: msg".
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "rate_limits." + p.String()
	}
	return strings.Join(lines, "\n")
}

// Refs tells validation which names the rest of the policy defines. A nil
// function skips that check (the policy loader always sets both).
type Refs struct {
	// Role reports whether the policy defines the role.
	Role func(name string) bool
	// Route reports whether the policy's route table has a route of that
	// name.
	Route func(name string) bool
}

// at is a field position under construction: the display form (with rule
// names) and the path form (without) grow together.
type at struct{ field, path string }

func (a at) key(keys ...string) at {
	for _, k := range keys {
		if a.field != "" {
			a.field += "."
			a.path += "."
		}
		a.field += k
		a.path += k
	}
	return a
}

func (a at) index(i int) at {
	s := "[" + strconv.Itoa(i) + "]"
	a.field += s
	a.path += s
	return a
}

// named annotates the display form with a rule's name, when the name is
// valid (an invalid one is reported on its own and would only confuse).
func (a at) named(name string) at {
	if checkName(name) == nil {
		a.field += "(" + name + ")"
	}
	return a
}

// maxProblems bounds the problems reported: rules that overlap pairwise
// could otherwise produce one per pair, and nobody reads the thousandth.
const maxProblems = 100

// collector gathers problems in the order they are found, up to
// maxProblems.
type collector struct {
	list    []Problem
	dropped int
}

func (c *collector) addf(a at, format string, args ...any) {
	if c.full() {
		c.dropped++
		return
	}
	c.list = append(c.list, Problem{Field: a.field, Path: a.path, Msg: fmt.Sprintf(format, args...)})
}

// full reports whether further problems would be dropped; long checks
// stop early.
func (c *collector) full() bool { return len(c.list) >= maxProblems }

// problems returns the list, with a last entry saying when some were
// dropped (not how many: long checks stop counting once full).
func (c *collector) problems() []Problem {
	if c.dropped > 0 {
		return append(c.list, Problem{Msg: fmt.Sprintf("too many problems: only the first %d are shown", maxProblems)})
	}
	return c.list
}
