// Package ratelimit limits each principal (any string key the caller
// chooses) by a Rule: a short burst window and an optional longer quota
// window on the same key, for example 20 requests a second and 10,000 a
// day. A request is admitted only if both windows have room, and then
// counts in both; a denied request counts nowhere. Two limiters implement
// the same contract (package ratelimittest): MemoryLimiter, the embedded
// default for a single replica, and RedisLimiter for any number of
// replicas (single node, Sentinel or Cluster), one EVALSHA per check.
//
// # Algorithm: a sliding window counted in 1,000 buckets
//
// Each window of length Per is counted in SubWindows (1,000) buckets of
// ceil(Per/1000) ms; a window keeps only its non-empty buckets, oldest
// first, and their total. A request counts from the moment it is admitted
// until one window after the end of its bucket; a request is admitted if
// fewer than Requests still count. Expired buckets are cut off the front
// and a request adds to the last bucket, so a check costs O(1) amortised.
//
// What that gives:
//
//   - Never more than the limit: at most Requests admitted in any interval
//     of length Per, whatever the traffic (the error is one-sided, and the
//     tests check it against every window of every run).
//   - Exact for windows up to 1 s, where a bucket is 1 ms, the resolution
//     of the times it is given: the burst window is an exact sliding
//     window.
//   - Close to exact for longer windows: a request counts at most
//     Per/1000 longer than in an exact sliding window (3.6 s for an hour,
//     86.4 s for a day). On steady traffic at 2x and at 1.05x the limit,
//     and on bursty traffic, across many window boundaries, it admits the
//     same count as an exact sliding log (the tests allow 1%; the measured
//     difference is 0). The worst case is a client that retries exactly
//     when an exact window would free up: it waits up to one bucket longer.
//   - Bounded state: at most min(Requests, 1001) buckets per window: 20 for
//     20/s, and for 10,000/day at most 1,001 (12 KiB in Redis, 16 KiB in
//     memory) for a principal that keeps its daily quota saturated around
//     the clock; a principal making a few requests has a few buckets.
//
// The alternatives, and why not:
//
//   - Sliding log (one timestamp per admitted request): exact, but 10,000
//     entries per principal for a daily quota, each check touching a
//     sorted set of that size in Redis.
//   - Fixed window: admits up to 2x the limit across a window boundary.
//   - Two-window weighted approximation (current count plus the previous
//     window's, weighted by the overlap): O(1), but it assumes requests
//     spread evenly over the previous window; after a burst at the end of
//     one window it admits nearly the limit again within the next, up to
//     almost 2x in one window's length, and under-admits in the mirror
//     case.
//   - GCRA: O(1) and smooth, but it is a leaky bucket, not a window: with a
//     burst allowance of N it admits N at once and then one every Per/N,
//     that is up to 2N-1 within one window of length Per; a "10,000 a
//     day" quota becomes "one every 8.64 s, with credit", which is right
//     only on average, and its remaining count is not the number of
//     requests a client may still make in the window.
//
// # Time
//
// Every decision uses the time the caller passes, in milliseconds, never
// a clock of the limiter or Redis's TIME, so both limiters give the same
// answers for the same calls (a test checks they agree exactly on a long
// random sequence). A time earlier than a window's newest bucket (replicas
// whose clocks differ) counts in that newest bucket: later, never earlier.
//
// # Rules that change
//
// A window is identified by its key and its length: a rule whose Requests
// change keeps counting (a lowered limit denies at once until enough
// requests have expired); a rule whose Per changes starts a new count.
// Windows of the same length are shared by every rule that names them.
//
// # Results
//
// A Result describes the binding window: on a deny, the full window that
// stays full longest (Reset and RetryAfter are when it has room again); on
// an allow, the window with the fewest requests left (Reset is when its
// oldest counted request stops counting).
//
// # Redis keys
//
//	<prefix>:rl:{<tag>}:<per in ms>   one string per window of a key
//
// The prefix is session.RedisConfig.KeyPrefix ("marty" by default); the
// tag is 16 base64url characters of SHA-256 of the key, so keys of any
// length or character are safe, and every window of a key lives in one
// Cluster slot. The value is the window's buckets (see redis_script.go).
// Every key's TTL ends one second (keySlack, for clock skew between
// replicas) after its newest bucket stops counting, so nothing outlives
// its data. A denied request writes nothing.
//
// # Memory
//
// MemoryLimiter shards its keys (one lock each) and holds at most MaxKeys
// of them; when a shard is full its least recently used key is forgotten,
// which resets that principal's counts, so MaxKeys should exceed the
// number of principals active within the longest window. A sweep drops
// keys that count nothing any more.
//
// # Failures
//
// A RedisLimiter that cannot answer within the caller's deadline (or the
// client's timeouts) returns an error wrapping ErrUnavailable, never an
// allow; the caller's fail mode decides. go-redis reconnects by itself
// when Redis is back.
package ratelimit
