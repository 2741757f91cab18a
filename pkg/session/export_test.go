package session

// MemoryEntries counts everything m holds: sessions, subject indexes,
// not-before marks and denylisted tokens (for the residue check).
func MemoryEntries(m *MemoryStore) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.sessions) + len(m.bySubject) + len(m.notBefore) + len(m.denied)
}
