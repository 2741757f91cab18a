package session

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sessionFields is the number of hash fields the scripts return per
// session, in this order: sub, created, seen, idle, exp, roles, tenant,
// attrs.
const sessionFields = 8

// encoded is a session as the create script stores it.
type encoded struct {
	created, seen, idle, exp, roles, attrs, deadline string
}

func encode(s *Session) (encoded, error) {
	e := encoded{
		created:  msString(s.CreatedAt),
		seen:     msString(s.LastSeen),
		idle:     strconv.FormatInt(s.IdleTimeout.Milliseconds(), 10),
		exp:      msString(s.ExpiresAt),
		roles:    encodeRoles(s.Roles),
		deadline: msString(s.deadline()),
	}
	if len(s.Attributes) > 0 {
		b, err := json.Marshal(s.Attributes)
		if err != nil {
			return encoded{}, invalid("attributes: %v", err)
		}
		e.attrs = string(b)
	}
	return e, nil
}

// encodeRoles joins roles with newlines, which checkRoles refuses in a
// role name.
func encodeRoles(roles []string) string { return strings.Join(roles, "\n") }

func msString(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// decode builds a session from the fields a script returned (strings, as
// listed at sessionFields). A malformed hash means the data in Redis is
// not ours or corrupt: the store cannot answer, hence ErrUnavailable.
func decode(id string, f []any) (*Session, error) {
	if len(f) != sessionFields {
		return nil, corrupt("session has %d fields", len(f))
	}
	var v [sessionFields]string
	for i, x := range f {
		s, ok := x.(string)
		if !ok {
			return nil, corrupt("session field %d is %T", i, x)
		}
		v[i] = s
	}
	return decodeStrings(id, v)
}

func decodeStrings(id string, v [sessionFields]string) (*Session, error) {
	var n [4]int64
	for i, field := range [4]string{v[1], v[2], v[3], v[4]} {
		x, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return nil, corrupt("session time field %d: %v", i, err)
		}
		n[i] = x
	}
	s := &Session{
		ID:          id,
		Subject:     v[0],
		CreatedAt:   time.UnixMilli(n[0]),
		LastSeen:    time.UnixMilli(n[1]),
		IdleTimeout: time.Duration(n[2]) * time.Millisecond,
		ExpiresAt:   time.UnixMilli(n[3]),
		Tenant:      v[6],
	}
	if v[5] != "" {
		s.Roles = strings.Split(v[5], "\n")
	}
	if v[7] != "" {
		if err := json.Unmarshal([]byte(v[7]), &s.Attributes); err != nil {
			return nil, corrupt("session attributes: %v", err)
		}
	}
	return s, nil
}

// decodeHash builds a session from HGETALL.
func decodeHash(id string, h map[string]string) (*Session, error) {
	return decodeStrings(id, [sessionFields]string{
		h["sub"], h["created"], h["seen"], h["idle"], h["exp"], h["roles"], h["tenant"], h["attrs"],
	})
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: redis holds a malformed entry: %s", ErrUnavailable, fmt.Sprintf(format, args...))
}
