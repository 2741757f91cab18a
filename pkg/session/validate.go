package session

import (
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode"
)

// Limits on what a caller may store. They keep keys and hashes small and
// refuse values that could never be copied into a header.
const (
	maxSubjectLen = 1024
	maxTokenIDLen = 256
	maxRoles      = 256
	maxRoleLen    = 256
)

// invalid returns an error wrapping ErrInvalid. Messages never contain
// session ids: they are bearer secrets.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// ms truncates t to the millisecond precision both stores keep, and drops
// its monotonic reading so that stored and returned times compare equal.
func ms(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

// prepare validates a session passed to Create and normalises it in place:
// it fills ID (from NewID) and LastSeen (from CreatedAt) when empty, and
// truncates times and IdleTimeout to milliseconds.
func prepare(s *Session) error {
	if s == nil {
		return invalid("nil session")
	}
	if err := checkSubject(s.Subject); err != nil {
		return err
	}
	if s.ID == "" {
		s.ID = NewID(s.Subject)
	} else if tag, ok := TagOf(s.ID); !ok {
		return invalid("malformed session id")
	} else if tag != Tag(s.Subject) {
		return invalid("session id does not carry the subject's tag")
	}
	if s.IdleTimeout < time.Millisecond {
		return invalid("idle timeout must be at least 1ms, got %s", s.IdleTimeout)
	}
	if s.CreatedAt.IsZero() {
		return invalid("created-at time is required")
	}
	if !s.ExpiresAt.After(s.CreatedAt) {
		return invalid("expires-at must be after created-at")
	}
	if s.LastSeen.IsZero() {
		s.LastSeen = s.CreatedAt
	}
	if s.LastSeen.Before(s.CreatedAt) {
		return invalid("last-seen must not be before created-at")
	}
	if err := checkRoles(s.Roles); err != nil {
		return err
	}
	s.IdleTimeout = s.IdleTimeout.Truncate(time.Millisecond)
	s.CreatedAt, s.LastSeen, s.ExpiresAt = ms(s.CreatedAt), ms(s.LastSeen), ms(s.ExpiresAt)
	if !s.ExpiresAt.After(s.CreatedAt) {
		return invalid("expires-at must be at least 1ms after created-at")
	}
	return nil
}

func checkSubject(subject string) error {
	if subject == "" {
		return invalid("empty subject")
	}
	if len(subject) > maxSubjectLen {
		return invalid("subject longer than %d bytes", maxSubjectLen)
	}
	return nil
}

func checkID(id string) (tag string, err error) {
	tag, ok := TagOf(id)
	if !ok {
		return "", invalid("malformed session id")
	}
	return tag, nil
}

func checkNow(now time.Time) error {
	if now.IsZero() {
		return invalid("zero time")
	}
	return nil
}

func checkQuery(q Query) error {
	if err := checkSubject(q.Subject); err != nil {
		return err
	}
	return checkNow(q.Now)
}

func checkTokenID(jti string) error {
	if jti == "" {
		return invalid("empty token id")
	}
	if len(jti) > maxTokenIDLen {
		return invalid("token id longer than %d bytes", maxTokenIDLen)
	}
	return nil
}

// checkRoles refuses role names that could not be copied into the roles
// header (empty, commas, spaces, control characters) and absurd counts.
func checkRoles(roles []string) error {
	if len(roles) > maxRoles {
		return invalid("more than %d roles", maxRoles)
	}
	for i, r := range roles {
		if r == "" || len(r) > maxRoleLen {
			return invalid("roles[%d]: must be 1 to %d bytes", i, maxRoleLen)
		}
		for _, c := range r {
			if c == ',' || unicode.IsSpace(c) || unicode.IsControl(c) {
				return invalid("roles[%d]: commas, spaces and control characters are not allowed", i)
			}
		}
	}
	return nil
}

func checkRevokeSubject(subject string, at time.Time, keep time.Duration) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	if at.IsZero() {
		return invalid("zero revocation time")
	}
	if keep < time.Millisecond {
		return invalid("keep must be at least 1ms, got %s", keep)
	}
	return nil
}

// clone returns a deep copy: stores never share a Roles slice or an
// Attributes map with a caller.
func (s *Session) clone() *Session {
	c := *s
	c.Roles = slices.Clone(s.Roles)
	c.Attributes = maps.Clone(s.Attributes)
	return &c
}

// deadline is when the session ends if it is not seen again.
func (s *Session) deadline() time.Time {
	if d := s.LastSeen.Add(s.IdleTimeout); d.Before(s.ExpiresAt) {
		return d
	}
	return s.ExpiresAt
}
