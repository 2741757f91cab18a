package ratelimittest

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/martyedge/security/pkg/ratelimit"
)

// Tolerance is the largest relative difference Accuracy accepts between
// the requests a limiter admits and those an exact sliding window admits.
const Tolerance = 0.01

// pattern is a rule and the times (ms after a start) of the requests that
// drive it, in order.
type pattern struct {
	name  string
	rule  ratelimit.Rule
	times func() []int64
}

var (
	perSecond = ratelimit.Limit{Requests: 20, Per: time.Second}
	perDay    = ratelimit.Limit{Requests: 10_000, Per: 24 * time.Hour}
)

func patterns() []pattern {
	day := perDay.Per.Milliseconds()
	return []pattern{
		{"burst 20/s at 2x for 60s", ratelimit.Rule{Burst: perSecond}, steady(40, 1000, 60*1000)},
		{"burst 20/s at 1.1x for 60s", ratelimit.Rule{Burst: perSecond}, steady(22, 1000, 60*1000)},
		{"quota 10000/day at 2x for 2 days", ratelimit.Rule{Burst: perSecond, Quota: perDay}, steady(20_000, day, 2*day)},
		{"quota 10000/day at 1.05x for 3 days", ratelimit.Rule{Burst: perSecond, Quota: perDay}, steady(10_500, day, 3*day)},
		{"bursty at 1.5x the quota for 3 days", ratelimit.Rule{Burst: perSecond, Quota: perDay}, bursty(3 * day)},
	}
}

// steady returns n requests per period, evenly spaced, for span ms.
func steady(n, period, span int64) func() []int64 {
	return func() []int64 {
		out := make([]int64, 0, n*span/period)
		for i := int64(0); i*period/n < span; i++ {
			out = append(out, i*period/n)
		}
		return out
	}
}

// bursty returns bursts of 1 to 60 requests 5 to 60 ms apart (so that the
// 20/s burst window binds inside a burst) at exponentially distributed
// gaps, on average 1.5 times the daily quota, for span ms. The seed is
// fixed: the same pattern every run.
func bursty(span int64) func() []int64 {
	return func() []int64 {
		rng := rand.New(rand.NewPCG(1, 2))
		// 15,000 requests a day in bursts of 30.5 on average.
		meanGap := float64(24*time.Hour/time.Millisecond) / (15_000 / 30.5)
		var out []int64
		t := int64(0)
		for t < span {
			for range 1 + rng.IntN(60) {
				out = append(out, t)
				t += 5 + rng.Int64N(56)
			}
			t += int64(rng.ExpFloat64() * meanGap)
		}
		return out
	}
}

// Accuracy drives a fresh limiter per pattern with synthetic times at
// known rates (steady at 2x and just over the limit, across many window
// boundaries, and bursty) and compares the requests it admits with an
// exact sliding window (a sliding log): they must be within Tolerance.
// It also checks that no window ever holds more than its limit.
func Accuracy(t *testing.T, newLimiter Factory) {
	t.Helper()
	for _, p := range patterns() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			l := newLimiter(t)
			t0 := start()
			exact := newSlidingLog(p.rule)
			var admitted []int64
			ex := 0
			times := p.times()
			for _, off := range times {
				now := t0.Add(time.Duration(off) * time.Millisecond)
				r, err := l.Allow(t.Context(), "alice", p.rule, now)
				if err != nil {
					t.Fatalf("Allow at +%dms: %v", off, err)
				}
				if r.Allowed {
					admitted = append(admitted, off)
				}
				if exact.allow(off) {
					ex++
				}
			}
			got := len(admitted)
			diff := float64(got-ex) / float64(ex)
			t.Logf("%d requests: admitted %d, exact sliding window %d, difference %+.3f%%", len(times), got, ex, 100*diff)
			if math.Abs(diff) > Tolerance {
				t.Errorf("admitted %d, exact %d: off by %.3f%%, want within %.1f%%", got, ex, 100*diff, 100*Tolerance)
			}
			for _, lim := range limits(p.rule) {
				if n := maxInWindow(admitted, lim.Per.Milliseconds()); n > lim.Requests {
					t.Errorf("%d admitted within one %s window, limit %d", n, lim.Per, lim.Requests)
				}
			}
		})
	}
}

func limits(r ratelimit.Rule) []ratelimit.Limit {
	if r.Quota.IsZero() {
		return []ratelimit.Limit{r.Burst}
	}
	return []ratelimit.Limit{r.Burst, r.Quota}
}

// slidingLog is the exact sliding window: a request at t counts while
// now < t+per. It keeps every admitted time, which is why no limiter does.
type slidingLog struct {
	lims []ratelimit.Limit
	logs [][]int64
}

func newSlidingLog(r ratelimit.Rule) *slidingLog {
	lims := limits(r)
	return &slidingLog{lims: lims, logs: make([][]int64, len(lims))}
}

func (s *slidingLog) allow(now int64) bool {
	ok := true
	for i, l := range s.lims {
		log := s.logs[i]
		for len(log) > 0 && log[0]+l.Per.Milliseconds() <= now {
			log = log[1:]
		}
		s.logs[i] = log
		ok = ok && int64(len(log)) < l.Requests
	}
	if ok {
		for i := range s.logs {
			s.logs[i] = append(s.logs[i], now)
		}
	}
	return ok
}

// maxInWindow returns the most of the sorted times that fall within one
// window of length per, (t-per, t].
func maxInWindow(times []int64, per int64) int64 {
	best, lo := 0, 0
	for hi, t := range times {
		for times[lo]+per <= t {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return int64(best)
}
