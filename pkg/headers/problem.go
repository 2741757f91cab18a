package headers

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem is one validation error in the headers section.
type Problem struct {
	// Field names the offending field relative to headers, in the dotted
	// form internal/yamlx resolves to a line:
	// "profiles.web.content_security_policy.directives.script-src[1]".
	Field string
	// Msg says what is wrong.
	Msg string
}

// String returns "field: msg".
func (p Problem) String() string { return p.Field + ": " + p.Msg }

// Error carries the problems of a spec that failed validation, for
// callers outside the policy loader (which reports them with lines).
type Error struct {
	Problems []Problem
}

// Error lists the problems one per line, each as "headers.field: msg".
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "headers." + p.String()
	}
	return strings.Join(lines, "\n")
}

// at is a field path under construction.
type at string

func (a at) key(keys ...string) at {
	for _, k := range keys {
		if a != "" {
			a += "."
		}
		a += at(k)
	}
	return a
}

func (a at) index(i int) at { return a + at("["+strconv.Itoa(i)+"]") }

// maxProblems bounds the list; nobody reads the hundredth.
const maxProblems = 100

type collector struct {
	list    []Problem
	dropped bool
}

func (c *collector) addf(a at, format string, args ...any) {
	if len(c.list) >= maxProblems {
		c.dropped = true
		return
	}
	c.list = append(c.list, Problem{Field: string(a), Msg: fmt.Sprintf(format, args...)})
}

func (c *collector) problems() []Problem {
	if c.dropped {
		return append(c.list, Problem{Msg: fmt.Sprintf("too many problems: only the first %d are shown", maxProblems)})
	}
	return c.list
}
