package sessiontest

import (
	"sync"
	"time"
)

// Clock is the time source of one run of the suite. A fake clock (for a
// store driven by an injected clock, like MemoryStore) jumps on Advance; a
// real clock (for Redis, whose key TTLs run on real time) sleeps.
type Clock struct {
	real bool

	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock that stands still at start (truncated to the
// millisecond) until Advance moves it. Pass its Now to the store with
// session.WithClock.
func NewFakeClock(start time.Time) *Clock {
	return &Clock{now: start.Truncate(time.Millisecond)}
}

// NewRealClock returns the wall clock; Advance sleeps.
func NewRealClock() *Clock { return &Clock{real: true} }

// Now returns the current time. It is safe for concurrent use (a store's
// background sweep reads it).
func (c *Clock) Now() time.Time {
	if c.real {
		return time.Now()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	if c.real {
		time.Sleep(d)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Real reports whether this is the wall clock.
func (c *Clock) Real() bool { return c.real }
