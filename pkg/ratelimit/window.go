package ratelimit

// bucket counts the admitted requests of one bucket of a window.
type bucket struct {
	idx int64  // the bucket's index: its start in ms divided by spec.gran
	n   uint32 // admitted requests
}

// window is the state of one window of one key: its buckets, oldest
// first, and their total. It is the in-memory twin of the value the Lua
// script keeps in Redis (redis_script.go); both take the same steps, and
// like the script it changes nothing on a deny, so that the two give the
// same answers even when callers' times go backwards.
type window struct {
	per     int64 // the window's length in ms, which identifies it
	total   int64
	buckets []bucket
}

// view is a window as seen at one time: the buckets from head on still
// count, total of them.
type view struct {
	head  int
	total int64
}

// at returns the view of w at now: the buckets that have stopped counting
// skipped.
func (w *window) at(s spec, now int64) view {
	v := view{total: w.total}
	for v.head < len(w.buckets) && s.expiry(w.buckets[v.head].idx) <= now {
		v.total -= int64(w.buckets[v.head].n)
		v.head++
	}
	return v
}

// room returns the time (ms) until the window can admit one more request,
// 0 if it can now. The total can exceed the limit when a rule was
// lowered, so it walks as many buckets as must expire.
func (w *window) room(s spec, v view, now int64) int64 {
	need := v.total - s.limit + 1
	if need <= 0 {
		return 0
	}
	for _, b := range w.buckets[v.head:] {
		need -= int64(b.n)
		if need <= 0 {
			return s.expiry(b.idx) - now
		}
	}
	// Unreachable: total is the sum of the buckets.
	return s.per
}

// add drops the buckets v skips and counts one request at now. It shifts
// the live buckets down rather than reslicing, so that the backing array
// does not keep expired ones. A time older than the newest bucket (a
// caller whose clock is behind another's) counts in the newest bucket:
// later, never earlier, so the limit still holds.
func (w *window) add(s spec, v view, now int64) {
	if v.head > 0 {
		w.buckets = append(w.buckets[:0], w.buckets[v.head:]...)
	}
	w.total = v.total + 1
	b := s.bucketOf(now)
	if last := len(w.buckets) - 1; last >= 0 && w.buckets[last].idx >= b {
		w.buckets[last].n++
		return
	}
	w.buckets = append(w.buckets, bucket{idx: b, n: 1})
}

// reset returns the time (ms) until the oldest request counted in v stops
// counting, 0 if none is.
func (w *window) reset(s spec, v view, now int64) int64 {
	if v.head == len(w.buckets) {
		return 0
	}
	return s.expiry(w.buckets[v.head].idx) - now
}

// expires returns when (unix ms) the window counts nothing any more.
func (w *window) expires(s spec) int64 {
	if len(w.buckets) == 0 {
		return 0
	}
	return s.expiry(w.buckets[len(w.buckets)-1].idx)
}
