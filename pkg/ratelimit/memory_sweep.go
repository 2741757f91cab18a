package ratelimit

import "time"

func (m *MemoryLimiter) sweepLoop() {
	defer close(m.done)
	t := time.NewTicker(m.opts.sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sweep(m.opts.now())
		}
	}
}

// sweep drops every key that has counted nothing since keySlack before
// now, one shard at a time so that checks of other shards go on.
func (m *MemoryLimiter) sweep(now time.Time) {
	cutoff := now.Add(-keySlack).UnixMilli()
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for k, e := range s.entries {
			if e.expires <= cutoff {
				s.unlink(e)
				delete(s.entries, k)
			}
		}
		s.mu.Unlock()
	}
}
