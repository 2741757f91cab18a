package ratelimit

import (
	"errors"
	"fmt"
	"time"
)

// Bounds of a Limit, checked by Rule.Validate. They keep every count in 32
// bits and every bucket index exact in a float64 (the Lua number type).
const (
	// MaxRequests is the largest Limit.Requests.
	MaxRequests = 1<<31 - 1
	// MaxPer is the longest window: a year and a day.
	MaxPer = 366 * 24 * time.Hour
	// SubWindows is how many buckets a window is counted in (see the
	// package doc): each request counts for at least Per and at most
	// Per/SubWindows (rounded up to a millisecond) longer.
	SubWindows = 1000
)

// ErrInvalidRule is wrapped by every error about a malformed Rule.
var ErrInvalidRule = errors.New("invalid rate limit rule")

// Limit is N requests per window.
type Limit struct {
	// Requests is how many requests the window admits.
	Requests int64
	// Per is the window's length: a whole number of milliseconds.
	Per time.Duration
}

// String returns "20/1s".
func (l Limit) String() string { return fmt.Sprintf("%d/%s", l.Requests, l.Per) }

// IsZero reports whether l is the zero Limit (no limit).
func (l Limit) IsZero() bool { return l == Limit{} }

// Rule is what one principal may do: a short burst window and an optional
// longer quota window, both enforced on the same key. A request is admitted
// only if both windows have room, and then counts in both.
type Rule struct {
	// Burst is the short window; required.
	Burst Limit
	// Quota is the long window; the zero Limit means none.
	Quota Limit
}

// Validate reports whether r is usable: positive Requests (at most
// MaxRequests), Per a positive whole number of milliseconds up to MaxPer,
// and a Quota, if any, over a longer window than Burst. Errors wrap
// ErrInvalidRule and name the field.
func (r Rule) Validate() error {
	if err := r.Burst.validate("burst"); err != nil {
		return err
	}
	if r.Quota.IsZero() {
		return nil
	}
	if err := r.Quota.validate("quota"); err != nil {
		return err
	}
	if r.Quota.Per <= r.Burst.Per {
		return fmt.Errorf("%w: quota.per (%s) must be longer than burst.per (%s)", ErrInvalidRule, r.Quota.Per, r.Burst.Per)
	}
	return nil
}

func (l Limit) validate(field string) error {
	switch {
	case l.Requests < 1 || l.Requests > MaxRequests:
		return fmt.Errorf("%w: %s.requests must be between 1 and %d, got %d", ErrInvalidRule, field, MaxRequests, l.Requests)
	case l.Per < time.Millisecond || l.Per > MaxPer:
		return fmt.Errorf("%w: %s.per must be between 1ms and %s, got %s", ErrInvalidRule, field, MaxPer, l.Per)
	case l.Per%time.Millisecond != 0:
		return fmt.Errorf("%w: %s.per must be a whole number of milliseconds, got %s", ErrInvalidRule, field, l.Per)
	}
	return nil
}

// spec is one window of a validated rule, in milliseconds: the numbers
// both limiters (and the Lua script) compute with.
type spec struct {
	limit int64 // requests admitted per window
	per   int64 // window length
	gran  int64 // bucket width: ceil(per/SubWindows)
}

func newSpec(l Limit) spec {
	per := l.Per.Milliseconds()
	return spec{limit: l.Requests, per: per, gran: (per + SubWindows - 1) / SubWindows}
}

// bucketOf is the bucket that a request at now (ms) is counted in.
func (s spec) bucketOf(now int64) int64 { return now / s.gran }

// expiry is when the requests of bucket b stop counting: one window after
// the bucket's last millisecond. A request at t thus counts while
// now < t + per + (up to gran-1): never shorter than the exact sliding
// window, and exactly it when gran is 1 ms (windows up to SubWindows ms).
func (s spec) expiry(b int64) int64 { return (b+1)*s.gran - 1 + s.per }

// specs returns the windows of a validated rule, burst first.
func (r Rule) specs() (specs [2]spec, n int) {
	specs[0] = newSpec(r.Burst)
	if r.Quota.IsZero() {
		return specs, 1
	}
	specs[1] = newSpec(r.Quota)
	return specs, 2
}
