package ratelimit

import (
	"errors"
	"fmt"
	"time"
)

// Errors of Allow besides ErrInvalidRule.
var (
	// ErrUnavailable: the limiter could not answer (Redis down or slow, or
	// the limiter is closed). The cause stays reachable with errors.Is/As.
	// Callers apply their configured fail mode; never an allow by default.
	ErrUnavailable = errors.New("rate limiter unavailable")
	// ErrInvalidRequest: an empty or over-long key, or a time before 1970.
	ErrInvalidRequest = errors.New("invalid rate limit request")
)

// MaxKeyLen bounds a key, so that the in-memory limiter's footprint is
// bounded too. Redis stores only a hash of the key.
const MaxKeyLen = 1024

// checkRequest validates the arguments of Allow and returns now in unix
// milliseconds.
func checkRequest(key string, rule Rule, now time.Time) (int64, error) {
	if key == "" || len(key) > MaxKeyLen {
		return 0, fmt.Errorf("%w: key must be 1 to %d bytes, got %d", ErrInvalidRequest, MaxKeyLen, len(key))
	}
	ms := now.UnixMilli()
	if ms < 0 {
		return 0, fmt.Errorf("%w: time %s is before 1970", ErrInvalidRequest, now)
	}
	if err := rule.Validate(); err != nil {
		return 0, err
	}
	return ms, nil
}
