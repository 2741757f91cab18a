package ratelimit

import (
	"testing"
	"time"
)

// TestDecide pins which window binds the headers.
func TestDecide(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		name string
		outs []outcome
		want Result
	}{
		{
			"one window, room",
			[]outcome{{limit: 5, count: 2, reset: 300}},
			Result{Allowed: true, Limit: 5, Remaining: 3, Reset: 300 * ms},
		},
		{
			"fewest left binds",
			[]outcome{{limit: 20, count: 3, reset: 900}, {limit: 10_000, count: 9_999, reset: 80_000}},
			Result{Allowed: true, Limit: 10_000, Remaining: 1, Reset: 80 * time.Second},
		},
		{
			"tie: the later reset binds",
			[]outcome{{limit: 20, count: 20, reset: 900}, {limit: 100, count: 100, reset: 5_000}},
			Result{Allowed: true, Limit: 100, Remaining: 0, Reset: 5 * time.Second},
		},
		{
			"tie on both: the burst",
			[]outcome{{limit: 20, count: 10, reset: 900}, {limit: 100, count: 90, reset: 900}},
			Result{Allowed: true, Limit: 20, Remaining: 10, Reset: 900 * ms},
		},
		{
			"only the full window binds a deny",
			[]outcome{{limit: 20, count: 1, reset: 900}, {limit: 100, count: 100, reset: 5_000, room: 5_000}},
			Result{Limit: 100, Reset: 5 * time.Second, RetryAfter: 5 * time.Second},
		},
		{
			"both full: the longer wait binds",
			[]outcome{{limit: 20, count: 20, reset: 900, room: 900}, {limit: 100, count: 100, reset: 300, room: 300}},
			Result{Limit: 20, Reset: 900 * ms, RetryAfter: 900 * ms},
		},
		{
			"over a lowered limit: never negative",
			[]outcome{{limit: 5, count: 9, reset: 100, room: 700}},
			Result{Limit: 5, Reset: 700 * ms, RetryAfter: 700 * ms},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := decide(tc.outs); got != tc.want {
				t.Errorf("decide:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestLimitString(t *testing.T) {
	t.Parallel()
	if s := (Limit{Requests: 20, Per: time.Second}).String(); s != "20/1s" {
		t.Errorf("String = %q", s)
	}
}
