package rbac

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidPermission is wrapped by every error about permission syntax,
// from ValidatePermission and from Parse.
var ErrInvalidPermission = errors.New("invalid permission")

// wildcard stands for a whole resource, a whole action, or, alone,
// everything.
const wildcard = "*"

// grant is a parsed permission grant; resource or action may be wildcard.
type grant struct {
	resource, action string
}

// all reports whether g grants every permission ("*" or "*:*").
func (g grant) all() bool { return g.resource == wildcard && g.action == wildcard }

// String returns the canonical "resource:action" form.
func (g grant) String() string { return g.resource + ":" + g.action }

// parseGrant parses a grant as a role may hold it: "resource:action" with
// whole-segment wildcards, or the bare "*".
func parseGrant(s string) (grant, error) {
	if s == wildcard {
		return grant{wildcard, wildcard}, nil
	}
	resource, action, ok := strings.Cut(s, ":")
	if !ok {
		return grant{}, permissionError(s, `want "resource:action" or "*"`)
	}
	if strings.Contains(action, ":") {
		return grant{}, permissionError(s, `want exactly one ":"`)
	}
	if err := checkSegment(s, "resource", resource); err != nil {
		return grant{}, err
	}
	if err := checkSegment(s, "action", action); err != nil {
		return grant{}, err
	}
	return grant{resource, action}, nil
}

// ValidatePermission reports whether s is a concrete permission
// "resource:action" without wildcards, as a route requires or as Envoy may
// pass in context_extensions. The error wraps ErrInvalidPermission.
func ValidatePermission(s string) error {
	g, err := parseGrant(s)
	if err != nil {
		return err
	}
	if g.resource == wildcard || g.action == wildcard {
		return permissionError(s, "a required permission must be concrete, without wildcards")
	}
	return nil
}

func checkSegment(perm, side, seg string) error {
	switch {
	case seg == "":
		return permissionError(perm, "empty "+side)
	case seg == wildcard:
		return nil
	case strings.Contains(seg, wildcard):
		return permissionError(perm, fmt.Sprintf("%s %q: a wildcard must be the whole %s", side, seg, side))
	}
	for i := 0; i < len(seg); i++ {
		if !segmentByte(seg[i]) {
			r, _ := utf8.DecodeRuneInString(seg[i:])
			return permissionError(perm, fmt.Sprintf("%s %q has invalid character %q (want letters, digits, '_', '.', '-')", side, seg, r))
		}
	}
	return nil
}

func permissionError(perm, reason string) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidPermission, perm, reason)
}

// segmentByte reports whether c may appear in a concrete resource or action.
func segmentByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '-'
}

// splitConcrete splits a concrete permission into resource and action
// without allocating; ok is false for anything ValidatePermission rejects.
func splitConcrete(s string) (resource, action string, ok bool) {
	colon := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ':' && colon < 0 {
			colon = i
			continue
		}
		if !segmentByte(c) {
			return "", "", false
		}
	}
	if colon <= 0 || colon == len(s)-1 {
		return "", "", false
	}
	return s[:colon], s[colon+1:], true
}
