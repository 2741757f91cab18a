package session

import "time"

// Defaults of the store options.
const (
	// DefaultTouchGranularity: a session's LastSeen is rewritten at most
	// once a second, however often it is used.
	DefaultTouchGranularity = time.Second
	// DefaultMaxSessions bounds the in-memory store (about 1 KiB each).
	DefaultMaxSessions = 1_000_000
	// DefaultSweepInterval is how often the in-memory store drops expired
	// entries.
	DefaultSweepInterval = 30 * time.Second
)

// Option configures a store. Options that only one store uses say so; the
// other ignores them.
type Option func(*options)

type options struct {
	now           func() time.Time
	touch         time.Duration
	maxSessions   int
	sweepInterval time.Duration
}

func newOptions(opts []Option) options {
	o := options{
		now:           time.Now,
		touch:         DefaultTouchGranularity,
		maxSessions:   DefaultMaxSessions,
		sweepInterval: DefaultSweepInterval,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithClock sets the clock used where a method takes no time argument:
// the in-memory sweep, the TTL of a denylist entry, index trimming on
// Revoke. Live-or-not decisions always use the caller's now. Nil keeps
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithTouchGranularity sets how stale LastSeen must be before Lookup
// rewrites it (default 1s). Zero touches on every Lookup; negative keeps the
// default.
func WithTouchGranularity(d time.Duration) Option {
	return func(o *options) {
		if d >= 0 {
			o.touch = d
		}
	}
}

// WithMaxSessions bounds the in-memory store (default 1,000,000); values
// below 1 keep the default. Redis is bounded by its own maxmemory.
func WithMaxSessions(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxSessions = n
		}
	}
}

// WithSweepInterval sets how often the in-memory store drops expired
// entries (default 30s); values below 1ms keep the default.
func WithSweepInterval(d time.Duration) Option {
	return func(o *options) {
		if d >= time.Millisecond {
			o.sweepInterval = d
		}
	}
}
