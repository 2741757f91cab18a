package session

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryStore keeps sessions in process: the embedded default for a single
// replica. It is bounded (WithMaxSessions), expires entries by the times
// callers pass and drops them in a periodic sweep (WithSweepInterval) that
// Close stops. It is safe for concurrent use.
type MemoryStore struct {
	opts options

	mu        sync.RWMutex
	sessions  map[string]*Session            // by id; never handed out, only clones
	bySubject map[string]map[string]struct{} // subject -> ids
	notBefore map[string]notBefore           // by subject
	denied    map[denyKey]time.Time          // -> until

	closed atomic.Bool
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

type notBefore struct{ at, until time.Time }

type denyKey struct{ subject, jti string }

// NewMemoryStore returns an empty store and starts its sweep.
func NewMemoryStore(opts ...Option) *MemoryStore {
	m := &MemoryStore{
		opts:      newOptions(opts),
		sessions:  make(map[string]*Session),
		bySubject: make(map[string]map[string]struct{}),
		notBefore: make(map[string]notBefore),
		denied:    make(map[denyKey]time.Time),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	go m.sweepLoop()
	return m
}

// errClosed is returned by every method after Close.
var errClosed = fmt.Errorf("%w: store is closed", ErrUnavailable)

func (m *MemoryStore) check() error {
	if m.closed.Load() {
		return errClosed
	}
	return nil
}

// Create stores a new session. See prepare for how s is validated and
// normalised; an id already in use by a live session is ErrInvalid, and a
// full store (after dropping expired entries) is ErrFull.
func (m *MemoryStore) Create(_ context.Context, s *Session) error {
	if err := m.check(); err != nil {
		return err
	}
	if err := prepare(s); err != nil {
		return err
	}
	stored := s.clone()
	now := m.opts.now()

	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.sessions[s.ID]; ok {
		if old.Live(now) {
			return invalid("session id already in use")
		}
		m.deleteLocked(old)
	}
	if len(m.sessions) >= m.opts.maxSessions {
		m.sweepLocked(now)
		if len(m.sessions) >= m.opts.maxSessions {
			return fmt.Errorf("create session: %w (%d live sessions)", ErrFull, len(m.sessions))
		}
	}
	m.sessions[stored.ID] = stored
	ids := m.bySubject[stored.Subject]
	if ids == nil {
		ids = make(map[string]struct{}, 1)
		m.bySubject[stored.Subject] = ids
	}
	ids[stored.ID] = struct{}{}
	return nil
}

// Get returns the session id names if it is live at now, without touching
// it; ErrNotFound otherwise.
func (m *MemoryStore) Get(_ context.Context, id string, now time.Time) (*Session, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if _, err := checkID(id); err != nil {
		return nil, err
	}
	if err := checkNow(now); err != nil {
		return nil, err
	}
	now = ms(now)
	m.mu.RLock()
	defer m.mu.RUnlock()
	s, ok := m.sessions[id]
	if !ok || !s.Live(now) {
		return nil, ErrNotFound
	}
	return s.clone(), nil
}

// Lookup answers a Check: the live session q.SessionID names if it belongs
// to q.Subject (touched if LastSeen is older than the touch granularity),
// the subject's not-before and whether q.TokenID is denylisted. A
// malformed or foreign session id yields no session, not an error.
func (m *MemoryStore) Lookup(_ context.Context, q Query) (Status, error) {
	if err := m.check(); err != nil {
		return Status{}, err
	}
	if err := checkQuery(q); err != nil {
		return Status{}, err
	}
	now := ms(q.Now)
	var st Status
	touch := false

	m.mu.RLock()
	if nb, ok := m.notBefore[q.Subject]; ok && now.Before(nb.until) {
		st.NotBefore = nb.at
	}
	if q.TokenID != "" {
		if until, ok := m.denied[denyKey{q.Subject, q.TokenID}]; ok && now.Before(until) {
			st.TokenDenied = true
		}
	}
	if q.SessionID != "" {
		if s, ok := m.sessions[q.SessionID]; ok && s.Subject == q.Subject && s.Live(now) {
			if now.Sub(s.LastSeen) >= m.opts.touch {
				touch = true
			} else {
				st.Session = s.clone()
			}
		}
	}
	m.mu.RUnlock()

	if touch {
		// Rare (once per granularity per session): take the write lock and
		// check again, the session may have gone meanwhile.
		m.mu.Lock()
		if s, ok := m.sessions[q.SessionID]; ok && s.Subject == q.Subject && s.Live(now) {
			if now.After(s.LastSeen) {
				s.LastSeen = now
			}
			st.Session = s.clone()
		}
		m.mu.Unlock()
	}
	return st, nil
}

// SetRoles replaces the roles of a live session; ErrNotFound if it is not
// live at now.
func (m *MemoryStore) SetRoles(_ context.Context, id string, roles []string, now time.Time) error {
	if err := m.check(); err != nil {
		return err
	}
	if _, err := checkID(id); err != nil {
		return err
	}
	if err := checkNow(now); err != nil {
		return err
	}
	if err := checkRoles(roles); err != nil {
		return err
	}
	now = ms(now)
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[id]
	if !ok || !s.Live(now) {
		return ErrNotFound
	}
	s.Roles = slices.Clone(roles)
	return nil
}

// Revoke deletes one session. Revoking a session that does not exist is
// not an error.
func (m *MemoryStore) Revoke(_ context.Context, id string) error {
	if err := m.check(); err != nil {
		return err
	}
	if _, err := checkID(id); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.sessions[id]; ok {
		m.deleteLocked(s)
	}
	return nil
}

// RevokeSubject deletes every session of subject and sets its not-before
// to at (or keeps a later one already set), remembered for keep: the
// longest lifetime of a token the subject may hold. It returns how many
// sessions were live at at.
func (m *MemoryStore) RevokeSubject(_ context.Context, subject string, at time.Time, keep time.Duration) (int, error) {
	if err := m.check(); err != nil {
		return 0, err
	}
	if err := checkRevokeSubject(subject, at, keep); err != nil {
		return 0, err
	}
	at = ms(at)
	until := at.Add(keep.Truncate(time.Millisecond))

	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id := range m.bySubject[subject] {
		if m.sessions[id].Live(at) {
			n++
		}
		delete(m.sessions, id)
	}
	delete(m.bySubject, subject)
	nb := notBefore{at: at, until: until}
	if old, ok := m.notBefore[subject]; ok && old.until.After(at) {
		nb.at = later(old.at, at)
		nb.until = later(old.until, until)
	}
	m.notBefore[subject] = nb
	return n, nil
}

// DenyToken denylists the token jti of subject until its expiry. A token
// that has already expired by the store's clock needs no entry.
func (m *MemoryStore) DenyToken(_ context.Context, subject, jti string, until time.Time) error {
	if err := m.check(); err != nil {
		return err
	}
	if err := checkSubject(subject); err != nil {
		return err
	}
	if err := checkTokenID(jti); err != nil {
		return err
	}
	if err := checkNow(until); err != nil {
		return err
	}
	until = ms(until)
	if !until.After(m.opts.now()) {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := denyKey{subject, jti}
	m.denied[k] = later(m.denied[k], until)
	return nil
}

// List returns the live sessions of subject, oldest first.
func (m *MemoryStore) List(_ context.Context, subject string, now time.Time) ([]*Session, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if err := checkSubject(subject); err != nil {
		return nil, err
	}
	if err := checkNow(now); err != nil {
		return nil, err
	}
	now = ms(now)
	m.mu.RLock()
	out := make([]*Session, 0, len(m.bySubject[subject]))
	for id := range m.bySubject[subject] {
		if s := m.sessions[id]; s.Live(now) {
			out = append(out, s.clone())
		}
	}
	m.mu.RUnlock()
	sortSessions(out)
	return out, nil
}

// Ping reports whether the store can answer: nil until Close.
func (m *MemoryStore) Ping(context.Context) error { return m.check() }

// Len returns the number of sessions held, including expired ones the
// sweep has not dropped yet.
func (m *MemoryStore) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.sessions)
}

// Close stops the sweep; later calls fail with ErrUnavailable. Close is
// idempotent.
func (m *MemoryStore) Close() error {
	m.once.Do(func() {
		m.closed.Store(true)
		close(m.stop)
		<-m.done
	})
	return nil
}

func (m *MemoryStore) deleteLocked(s *Session) {
	delete(m.sessions, s.ID)
	if ids := m.bySubject[s.Subject]; ids != nil {
		delete(ids, s.ID)
		if len(ids) == 0 {
			delete(m.bySubject, s.Subject)
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// sortSessions orders by CreatedAt, then id so that the order is total.
func sortSessions(ss []*Session) {
	slices.SortFunc(ss, func(a, b *Session) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
