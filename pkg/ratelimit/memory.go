package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// Sharding of the in-memory limiter: one lock per shard, so that checks of
// different keys rarely contend. A shard holds keysPerShard to twice that
// many keys (more only past maxShards), few enough that a sweep holds its
// lock briefly; a limiter of fewer than 2*keysPerShard keys has one shard,
// and so an exact LRU.
const (
	keysPerShard = 4096
	maxShards    = 256
)

// MemoryLimiter counts requests in process: the embedded default for a
// single replica. It holds at most MaxKeys keys (WithMaxKeys), evicting the
// least recently used key of a shard when full, and drops keys that count
// nothing any more in a periodic sweep (WithSweepInterval) that Close
// stops. It is safe for concurrent use.
type MemoryLimiter struct {
	seed   maphash.Seed
	shards []shard
	opts   options

	closed atomic.Bool
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// shard is a bounded LRU map of keys.
type shard struct {
	mu         sync.Mutex
	entries    map[string]*entry
	head, tail *entry // most and least recently used
	capacity   int
}

// entry is one key: a window per window length its rules have used.
type entry struct {
	key        string
	windows    []window
	expires    int64 // unix ms: when no window counts anything
	prev, next *entry
}

// NewMemoryLimiter returns an empty limiter and starts its sweep.
func NewMemoryLimiter(opts ...Option) *MemoryLimiter {
	o := newOptions(opts)
	n := 1
	for n*2 <= maxShards && n*2*keysPerShard <= o.maxKeys {
		n *= 2
	}
	m := &MemoryLimiter{
		seed:   maphash.MakeSeed(),
		shards: make([]shard, n),
		opts:   o,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	// Capacities sum to exactly maxKeys.
	for i := range m.shards {
		c := o.maxKeys / n
		if i < o.maxKeys%n {
			c++
		}
		m.shards[i] = shard{entries: make(map[string]*entry), capacity: c}
	}
	go m.sweepLoop()
	return m
}

// errClosed is returned by Allow after Close.
var errClosed = fmt.Errorf("%w: limiter is closed", ErrUnavailable)

// Allow checks one request of key at now against rule and counts it if
// every window of the rule has room; a denied request is not counted. It
// never blocks on I/O, so ctx is not consulted.
func (m *MemoryLimiter) Allow(_ context.Context, key string, rule Rule, now time.Time) (Result, error) {
	if m.closed.Load() {
		return Result{}, errClosed
	}
	ms, err := checkRequest(key, rule, now)
	if err != nil {
		return Result{}, err
	}
	specs, n := rule.specs()
	var outs [2]outcome

	s := &m.shards[maphash.String(m.seed, key)&uint64(len(m.shards)-1)]
	s.mu.Lock()
	e := s.get(key)
	var idx [2]int
	var views [2]view
	for i := range n {
		idx[i] = e.window(specs[i].per)
	}
	allowed := true
	for i := range n {
		w := &e.windows[idx[i]]
		views[i] = w.at(specs[i], ms)
		outs[i].room = w.room(specs[i], views[i], ms)
		allowed = allowed && outs[i].room == 0
	}
	for i := range n {
		w := &e.windows[idx[i]]
		if allowed {
			w.add(specs[i], views[i], ms)
			views[i] = view{total: w.total}
			e.expires = max(e.expires, w.expires(specs[i]))
		}
		outs[i].limit, outs[i].count, outs[i].reset = specs[i].limit, views[i].total, w.reset(specs[i], views[i], ms)
	}
	if len(e.windows) > n {
		e.dropOthers(specs[:n], ms)
	}
	s.mu.Unlock()
	return decide(outs[:n]), nil
}

// Len returns the number of keys held, including idle ones the sweep has
// not dropped yet.
func (m *MemoryLimiter) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}

// Close stops the sweep; later calls of Allow fail with ErrUnavailable.
// Close is idempotent.
func (m *MemoryLimiter) Close() error {
	m.once.Do(func() {
		m.closed.Store(true)
		close(m.stop)
		<-m.done
	})
	return nil
}

// get returns the entry of key, created if needed (evicting the least
// recently used entry of a full shard), as the most recently used.
func (s *shard) get(key string) *entry {
	if e, ok := s.entries[key]; ok {
		s.unlink(e)
		s.pushFront(e)
		return e
	}
	if len(s.entries) >= s.capacity {
		lru := s.tail
		s.unlink(lru)
		delete(s.entries, lru.key)
	}
	e := &entry{key: key}
	s.entries[key] = e
	s.pushFront(e)
	return e
}

func (s *shard) pushFront(e *entry) {
	e.prev, e.next = nil, s.head
	if s.head != nil {
		s.head.prev = e
	}
	s.head = e
	if s.tail == nil {
		s.tail = e
	}
}

func (s *shard) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

// window returns the index of e's window of length per, added if missing.
func (e *entry) window(per int64) int {
	for i := range e.windows {
		if e.windows[i].per == per {
			return i
		}
	}
	e.windows = append(e.windows, window{per: per})
	return len(e.windows) - 1
}

// dropOthers drops the windows of lengths the current rule does not use
// (the rule changed) once they have counted nothing for keySlack, as their
// Redis keys expire.
func (e *entry) dropOthers(used []spec, now int64) {
	keep := e.windows[:0]
	for _, w := range e.windows {
		inUse := false
		for _, s := range used {
			inUse = inUse || s.per == w.per
		}
		// A window's expiry depends only on its length, not its limit.
		if inUse || w.expires(newSpec(Limit{Per: msDuration(w.per)}))+keySlack.Milliseconds() > now {
			keep = append(keep, w)
		}
	}
	clear(e.windows[len(keep):])
	e.windows = keep
}
