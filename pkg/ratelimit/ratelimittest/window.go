package ratelimittest

import (
	"testing"
	"time"

	"github.com/martyedge/security/pkg/ratelimit"
)

// testUnderLimit: under the limit every request is admitted, Remaining
// counts down and Reset runs to when the oldest request stops counting.
func testUnderLimit(t *testing.T, l Limiter) {
	rule := ratelimit.Rule{Burst: burst}
	t0 := start()
	for i := range burst.Requests {
		now := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		want(t, "request", allow(t, l, "alice", rule, now), ratelimit.Result{
			Allowed: true, Limit: 5, Remaining: 4 - i, Reset: Expiry(t0, burst.Per).Sub(now),
		})
	}
}

// testOverLimit: the N+1th request of a window is denied with a
// RetryAfter that is exactly when a retry succeeds, and denied requests
// do not count: once the first N expire, N more are admitted.
func testOverLimit(t *testing.T, l Limiter) {
	rule := ratelimit.Rule{Burst: burst}
	t0 := start()
	allowN(t, l, "alice", rule, t0, 5)
	free := Expiry(t0, burst.Per)
	now := t0.Add(time.Second)
	want(t, "6th request", allow(t, l, "alice", rule, now), ratelimit.Result{
		Limit: 5, Reset: free.Sub(now), RetryAfter: free.Sub(now),
	})
	for i := range 20 {
		denied(t, l, "alice", rule, now.Add(time.Duration(i)*400*time.Millisecond))
	}
	if r := denied(t, l, "alice", rule, free.Add(-time.Millisecond)); r.RetryAfter != time.Millisecond {
		t.Errorf("RetryAfter 1ms before room = %v, want 1ms", r.RetryAfter)
	}
	allowN(t, l, "alice", rule, free, 5)
	if r := denied(t, l, "alice", rule, free); r.RetryAfter != Expiry(free, burst.Per).Sub(free) {
		t.Errorf("RetryAfter = %v, want %v", r.RetryAfter, Expiry(free, burst.Per).Sub(free))
	}
}

// testQuotaBinds: bursts within the burst limit are admitted until the
// quota is used up; then the quota denies, and the headers describe it.
func testQuotaBinds(t *testing.T, l Limiter) {
	rule := ratelimit.Rule{Burst: burst, Quota: quota}
	t0 := start()
	want(t, "first request", allow(t, l, "alice", rule, t0), ratelimit.Result{
		Allowed: true, Limit: 5, Remaining: 4, Reset: Expiry(t0, burst.Per).Sub(t0),
	})
	allowN(t, l, "alice", rule, t0, 4)

	t1 := Expiry(t0, burst.Per)
	allowN(t, l, "alice", rule, t1, 4)
	want(t, "10th request (burst binds)", allow(t, l, "alice", rule, t1), ratelimit.Result{
		Allowed: true, Limit: 5, Remaining: 0, Reset: Expiry(t1, burst.Per).Sub(t1),
	})

	t2 := Expiry(t1, burst.Per)
	quotaFree := Expiry(t0, quota.Per)
	want(t, "11th request (quota binds)", allow(t, l, "alice", rule, t2), ratelimit.Result{
		Allowed: true, Limit: 12, Remaining: 1, Reset: quotaFree.Sub(t2),
	})
	want(t, "12th request", allow(t, l, "alice", rule, t2), ratelimit.Result{
		Allowed: true, Limit: 12, Remaining: 0, Reset: quotaFree.Sub(t2),
	})
	want(t, "13th request (quota denies)", allow(t, l, "alice", rule, t2), ratelimit.Result{
		Limit: 12, Reset: quotaFree.Sub(t2), RetryAfter: quotaFree.Sub(t2),
	})
	later := t2.Add(time.Minute)
	if r := denied(t, l, "alice", rule, later); r.Limit != 12 || r.RetryAfter != quotaFree.Sub(later) {
		t.Errorf("a minute later: %+v, want the quota to deny until %s", r, quotaFree)
	}

	// The first burst leaves the quota: 5 more, then both windows are full
	// and the one that stays full longer binds.
	allowN(t, l, "alice", rule, quotaFree, 5)
	burstRoom := Expiry(quotaFree, burst.Per).Sub(quotaFree)
	quotaRoom := Expiry(t1, quota.Per).Sub(quotaFree)
	w := ratelimit.Result{Limit: 5, Reset: burstRoom, RetryAfter: burstRoom}
	if quotaRoom > burstRoom {
		w = ratelimit.Result{Limit: 12, Reset: quotaRoom, RetryAfter: quotaRoom}
	}
	want(t, "both windows full", allow(t, l, "alice", rule, quotaFree), w)
}

// testSlides: requests stop counting one window after they were made, not
// at fixed window boundaries.
func testSlides(t *testing.T, l Limiter) {
	rule := ratelimit.Rule{Burst: burst}
	t0 := start()
	t5 := t0.Add(5 * time.Second)
	allowN(t, l, "alice", rule, t0, 3)
	allowN(t, l, "alice", rule, t5, 2)
	denied(t, l, "alice", rule, t0.Add(6*time.Second))
	e := Expiry(t0, burst.Per)
	allowN(t, l, "alice", rule, e, 3)
	if r := denied(t, l, "alice", rule, e); r.RetryAfter != Expiry(t5, burst.Per).Sub(e) {
		t.Errorf("RetryAfter = %v, want %v (when the requests at +5s stop counting)", r.RetryAfter, Expiry(t5, burst.Per).Sub(e))
	}
}

// testIndependent: keys do not share counts, and neither do windows of
// different lengths on one key; windows of the same length do, whatever
// the rule they appear in.
func testIndependent(t *testing.T, l Limiter) {
	rule := ratelimit.Rule{Burst: burst}
	t0 := start()
	allowN(t, l, "alice", rule, t0, 5)
	denied(t, l, "alice", rule, t0)
	if r := allow(t, l, "bob", rule, t0); !r.Allowed || r.Remaining != 4 {
		t.Errorf("bob after alice is full: %+v, want admitted with 4 left", r)
	}
	if r := allow(t, l, "alice2", rule, t0); !r.Allowed || r.Remaining != 4 {
		t.Errorf("alice2 after alice is full: %+v, want admitted with 4 left", r)
	}
	longer := ratelimit.Rule{Burst: ratelimit.Limit{Requests: 5, Per: 20 * time.Second}}
	if r := allow(t, l, "alice", longer, t0); !r.Allowed || r.Remaining != 4 {
		t.Errorf("alice with a 20s window: %+v, want admitted with 4 left", r)
	}
	denied(t, l, "alice", ratelimit.Rule{Burst: burst, Quota: quota}, t0)
}

// testNoQuota: a rule without a quota admits Burst.Requests per window
// for ever.
func testNoQuota(t *testing.T, l Limiter) {
	rule := ratelimit.Rule{Burst: burst}
	now := start()
	for range 50 {
		allowN(t, l, "alice", rule, now, 5)
		if r := denied(t, l, "alice", rule, now); r.Limit != 5 {
			t.Fatalf("Limit = %d, want 5", r.Limit)
		}
		now = Expiry(now, burst.Per)
	}
}

// testLowered: a rule whose limit changes keeps the counts; a lower limit
// denies at once, until enough requests have stopped counting.
func testLowered(t *testing.T, l Limiter) {
	ten := ratelimit.Rule{Burst: ratelimit.Limit{Requests: 10, Per: burst.Per}}
	five := ratelimit.Rule{Burst: ratelimit.Limit{Requests: 5, Per: burst.Per}}
	t0 := start()
	for i := range 10 {
		allowN(t, l, "alice", ten, t0.Add(time.Duration(i)*100*time.Millisecond), 1)
	}
	now := t0.Add(time.Second)
	// 10 counted, 5 allowed: the 6 oldest must go, the 6th left at +500ms.
	room := Expiry(t0.Add(500*time.Millisecond), burst.Per).Sub(now)
	want(t, "limit lowered to 5", allow(t, l, "alice", five, now), ratelimit.Result{
		Limit: 5, Reset: room, RetryAfter: room,
	})
	twenty := ratelimit.Rule{Burst: ratelimit.Limit{Requests: 20, Per: burst.Per}}
	if r := allow(t, l, "alice", twenty, now); !r.Allowed || r.Remaining != 9 {
		t.Errorf("limit raised to 20: %+v, want admitted with 9 left", r)
	}
}

// testBackwards: a request whose time is earlier than the newest counted
// one (replicas' clocks differ) counts as if made at that newest time:
// later, never earlier, so the limit holds.
func testBackwards(t *testing.T, l Limiter) {
	rule := ratelimit.Rule{Burst: burst}
	t0 := start()
	t2 := t0.Add(2 * time.Second)
	allowN(t, l, "alice", rule, t2, 1)
	e := Expiry(t2, burst.Per)
	want(t, "request 2s in the past", allow(t, l, "alice", rule, t0), ratelimit.Result{
		Allowed: true, Limit: 5, Remaining: 3, Reset: e.Sub(t0),
	})
	allowN(t, l, "alice", rule, t0, 3)
	if r := denied(t, l, "alice", rule, t0); r.RetryAfter != e.Sub(t0) {
		t.Errorf("RetryAfter = %v, want %v", r.RetryAfter, e.Sub(t0))
	}
	allowN(t, l, "alice", rule, e, 5)
}
