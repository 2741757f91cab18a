package ratelimit

import "time"

// Result of one check. When several windows apply, the headers describe
// the window closest to its limit (the binding one): on a deny, the full
// window that stays full longest; on an allow, the one with the fewest
// requests left (on a tie, the one whose Reset is later).
type Result struct {
	// Allowed reports whether the request was admitted (and counted).
	Allowed bool
	// Limit is the binding window's Requests (x-ratelimit-limit).
	Limit int64
	// Remaining is how many more requests the binding window admits now
	// (x-ratelimit-remaining); never negative.
	Remaining int64
	// Reset is the time until the binding window has room again (on a
	// deny) or until its oldest counted request stops counting, so that
	// Remaining grows (x-ratelimit-reset). Zero when it counts nothing.
	Reset time.Duration
	// RetryAfter, on a deny, is the time until a retry can succeed, if no
	// other request of the key is admitted meanwhile: at least 1 ms, so at
	// least 1 s when rounded up for Retry-After. Zero on an allow.
	RetryAfter time.Duration
}

// outcome is what one window says about one request, in milliseconds.
// Both limiters (the Redis one from its script's reply) reduce to it.
type outcome struct {
	limit int64
	count int64 // requests counted, including this one if admitted
	reset int64 // until the oldest counted request stops counting; 0: none
	room  int64 // until there is room for one more request; 0: room now
}

// decide turns the outcomes of a rule's windows into a Result. A request
// is admitted iff every window has room.
func decide(outs []outcome) Result {
	bind := -1
	for i, o := range outs {
		if o.room > 0 && (bind < 0 || o.room > outs[bind].room) {
			bind = i
		}
	}
	if bind >= 0 {
		o := outs[bind]
		d := msDuration(o.room)
		return Result{Limit: o.limit, Reset: d, RetryAfter: d}
	}
	bind = 0
	for i, o := range outs[1:] {
		b := outs[bind]
		if r, rb := o.limit-o.count, b.limit-b.count; r < rb || r == rb && o.reset > b.reset {
			bind = i + 1
		}
	}
	o := outs[bind]
	return Result{
		Allowed:   true,
		Limit:     o.limit,
		Remaining: max(o.limit-o.count, 0),
		Reset:     msDuration(o.reset),
	}
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
