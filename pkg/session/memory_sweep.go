package session

import (
	"time"
)

// sweepBatch bounds how many entries one hold of the write lock deletes,
// so that a sweep of a large store does not stall Lookups.
const sweepBatch = 1024

func (m *MemoryStore) sweepLoop() {
	defer close(m.done)
	t := time.NewTicker(m.opts.sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sweep(ms(m.opts.now()))
		}
	}
}

// sweep drops every entry expired at now. It finds them under the read
// lock and deletes them in batches under the write lock, checking each
// again (a Lookup may have touched a session meanwhile).
func (m *MemoryStore) sweep(now time.Time) {
	var ids []string
	var subjects []string
	var tokens []denyKey
	m.mu.RLock()
	for id, s := range m.sessions {
		if !s.Live(now) {
			ids = append(ids, id)
		}
	}
	for sub, nb := range m.notBefore {
		if !now.Before(nb.until) {
			subjects = append(subjects, sub)
		}
	}
	for k, until := range m.denied {
		if !now.Before(until) {
			tokens = append(tokens, k)
		}
	}
	m.mu.RUnlock()

	for len(ids) > 0 {
		n := min(len(ids), sweepBatch)
		m.mu.Lock()
		for _, id := range ids[:n] {
			if s, ok := m.sessions[id]; ok && !s.Live(now) {
				m.deleteLocked(s)
			}
		}
		m.mu.Unlock()
		ids = ids[n:]
	}
	m.mu.Lock()
	for _, sub := range subjects {
		if nb, ok := m.notBefore[sub]; ok && !now.Before(nb.until) {
			delete(m.notBefore, sub)
		}
	}
	for _, k := range tokens {
		if until, ok := m.denied[k]; ok && !now.Before(until) {
			delete(m.denied, k)
		}
	}
	m.mu.Unlock()
}

// sweepLocked is sweep for a caller that already holds the write lock
// (Create on a full store).
func (m *MemoryStore) sweepLocked(now time.Time) {
	now = ms(now)
	for _, s := range m.sessions {
		if !s.Live(now) {
			m.deleteLocked(s)
		}
	}
}
