package ratelimit

import "time"

// Defaults of the MemoryLimiter options.
const (
	// DefaultMaxKeys bounds the in-memory limiter. A key of a principal
	// well under its limits takes a few hundred bytes; one that keeps a
	// day-long quota saturated, up to about 16 KiB (SubWindows buckets).
	DefaultMaxKeys = 1_000_000
	// DefaultSweepInterval is how often the in-memory limiter drops keys
	// that count nothing any more.
	DefaultSweepInterval = time.Minute
)

// keySlack is how long state outlives its last counted request: in Redis
// (the TTL) and in memory (the sweep). It absorbs clock skew between the
// replicas, and between a caller's now and the sweep's clock, so that a
// request never meets a key dropped while it still counted.
const keySlack = time.Second

// Option configures a MemoryLimiter.
type Option func(*options)

type options struct {
	now           func() time.Time
	maxKeys       int
	sweepInterval time.Duration
}

func newOptions(opts []Option) options {
	o := options{now: time.Now, maxKeys: DefaultMaxKeys, sweepInterval: DefaultSweepInterval}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithMaxKeys bounds how many keys the limiter holds (default 1,000,000);
// when full, the least recently used key of a shard makes room. Values
// below 1 keep the default.
func WithMaxKeys(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxKeys = n
		}
	}
}

// WithSweepInterval sets how often idle keys are dropped (default 1m);
// values below 1ms keep the default.
func WithSweepInterval(d time.Duration) Option {
	return func(o *options) {
		if d >= time.Millisecond {
			o.sweepInterval = d
		}
	}
}

// WithClock sets the clock of the sweep, the only part of the limiter that
// takes no time from its caller. Nil keeps time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}
