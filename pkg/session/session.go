// Package session owns server-side sessions: the state that makes logout,
// revocation and role changes take effect at once, which a plain JWT
// cannot do. A token names its session in the "sid" claim; while the
// session exists its roles, not the token's, are authoritative.
//
// Two stores implement the same contract (see package sessiontest): an
// in-memory store, the embedded default for a single replica, and a Redis
// store for any number of replicas (single node, Sentinel or Cluster via
// go-redis UniversalClient).
//
// # Keys and Redis Cluster
//
// Every key of one subject shares a hash tag derived from the subject, so
// the Check-time lookup (session, subject not-before, jti denylist) is a
// single EVALSHA on a single node. A session id carries that tag
// ("<tag>.<random>"), so an id alone is enough to find its session.
//
//	marty:{<tag>}:s:<sid>     hash: the session; TTL = min(idle, absolute)
//	marty:{<tag>}:idx         sorted set: the subject's session ids by expiry
//	marty:{<tag>}:nbf         subject-wide not-before (unix ms)
//	marty:{<tag>}:jti:<jti>   denylisted token id, until the token's exp
//
// Every key has a TTL, so nothing outlives its data. The index is trimmed
// of expired ids on every write to the subject and expires with its
// longest-lived session; the not-before mark expires when the last token
// it could refuse has expired; a denylist entry expires with its token.
// Every write that touches more than one key is a single Lua script.
//
// # Expiry and touches
//
// A store never reads the wall clock to decide whether a session is live:
// every decision uses the time the caller passes (Query.Now, the now
// arguments), so the caller's injected clock is the one that counts. Times
// are kept at millisecond precision in both stores.
//
// Lookup slides the idle timeout by moving LastSeen, but only when the
// stored LastSeen is older than the touch granularity (WithTouchGranularity,
// default 1s): a session used by every request is rewritten at most once
// per granularity, not on every Check. The price is that a session may end
// up to one granularity earlier than its idle timeout promises.
package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Errors returned by stores.
var (
	// ErrNotFound: no live session with that id (never created, expired,
	// or revoked).
	ErrNotFound = errors.New("session not found")
	// ErrUnavailable: the store could not answer (Redis down or slow).
	// Callers apply their configured fail mode; never an allow by default.
	ErrUnavailable = errors.New("session store unavailable")
	// ErrInvalid: the request to the store is malformed (bad id, empty
	// subject, non-positive lifetime).
	ErrInvalid = errors.New("invalid session request")
	// ErrFull: the in-memory store holds MaxSessions live sessions and
	// refuses new ones until some end. Not an outage: existing sessions keep
	// working, so it is distinct from ErrUnavailable.
	ErrFull = errors.New("session store is full")
)

// Session is one login of one subject.
type Session struct {
	ID        string
	Subject   string
	Roles     []string
	Tenant    string
	CreatedAt time.Time
	LastSeen  time.Time
	// IdleTimeout ends the session when it has not been seen for this long
	// (sliding: every use moves LastSeen).
	IdleTimeout time.Duration
	// ExpiresAt is the absolute end, whatever the activity.
	ExpiresAt time.Time
	// Attributes are optional facts recorded at login, e.g. "client_ip",
	// "user_agent_hash".
	Attributes map[string]string
}

// Live reports whether the session is usable at now: before its absolute
// expiry and seen within its idle timeout.
func (s *Session) Live(now time.Time) bool {
	return now.Before(s.ExpiresAt) && now.Before(s.LastSeen.Add(s.IdleTimeout))
}

// Query is what a Check asks of the store in one round trip.
type Query struct {
	// SessionID is the token's sid claim; empty when it has none.
	SessionID string
	// Subject is the token's subject: not-before and the jti denylist are
	// per subject.
	Subject string
	// TokenID is the token's jti; empty when it has none.
	TokenID string
	// Now is the decision time; a live session's LastSeen moves to it.
	Now time.Time
}

// Status is the answer to a Query.
type Status struct {
	// Session is the live session named by Query.SessionID, or nil when the
	// query had no id or the session is gone (expired, revoked, unknown).
	Session *Session
	// NotBefore is the subject's not-before time: tokens issued before it
	// are revoked. Zero when none is set.
	NotBefore time.Time
	// TokenDenied reports that Query.TokenID is on the denylist.
	TokenDenied bool
}

// tagLen is the length of the hash tag at the start of a session id:
// 12 base64url characters (72 bits of SHA-256 of the subject).
const tagLen = 12

// Tag returns the hash tag shared by every key of subject.
func Tag(subject string) string {
	sum := sha256.Sum256([]byte(subject))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:tagLen]
}

// NewID returns a fresh, unguessable session id for subject:
// "<tag>.<128 random bits>".
func NewID(subject string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return Tag(subject) + "." + base64.RawURLEncoding.EncodeToString(b[:])
}

// TagOf returns the hash tag carried by a session id, and false if id is
// not shaped like one NewID returns.
func TagOf(id string) (string, bool) {
	tag, rest, ok := strings.Cut(id, ".")
	if !ok || len(tag) != tagLen || len(rest) != 22 || !urlSafe(tag) || !urlSafe(rest) {
		return "", false
	}
	return tag, true
}

func urlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
