package limits

import (
	"fmt"
	"time"
)

// Bounds of a per-user window. They are those of the per-user limiter in
// pkg/ratelimit, so that every valid policy can be enforced: counts fit in
// 31 bits, and windows are whole milliseconds up to a year and a day.
const (
	MaxUserRequests = 1<<31 - 1
	MaxUserWindow   = 366 * 24 * time.Hour
)

func checkPerUser(c *collector, a at, p *PerUser, refs Refs) {
	if p.Default == nil && len(p.Roles) == 0 {
		c.addf(a, "want default, roles or both")
	}
	// All limited entries share one burst window and one quota window,
	// taken from the first entry that sets each (default first, then
	// roles by name): the limits of a caller's roles then compare by
	// their counts alone (see Resolve).
	var burst, quota *sharedWindow
	if p.Default != nil {
		checkUserLimit(c, a.key("default"), "default", *p.Default, &burst, &quota)
	}
	for _, role := range sortedKeys(p.Roles) {
		ra := a.key("roles", role)
		if refs.Role != nil && !refs.Role(role) {
			c.addf(ra, "unknown role %q", role)
		}
		checkUserLimit(c, ra, fmt.Sprintf("role %q", role), p.Roles[role], &burst, &quota)
	}
}

// sharedWindow is the first window of a kind and who set it.
type sharedWindow struct {
	per   time.Duration
	owner string
}

func checkUserLimit(c *collector, a at, owner string, l UserLimit, burst, quota **sharedWindow) {
	switch {
	case l.Unlimited && (l.Burst != nil || l.Quota != nil):
		c.addf(a, "want either unlimited: true or burst/quota, not both")
		return
	case l.Unlimited:
		return
	case l.Burst == nil:
		c.addf(a, "want burst (and optionally quota), or unlimited: true")
		return
	}
	ok := checkWindow(c, a.key("burst"), "burst", owner, *l.Burst, burst)
	if l.Quota == nil {
		return
	}
	if !checkWindow(c, a.key("quota"), "quota", owner, *l.Quota, quota) || !ok {
		return
	}
	b, q := *l.Burst, *l.Quota
	// A quota is the long-term budget and a burst the short-term rate; the
	// other way round, or a quota smaller than one burst, is a mistake.
	if q.Per <= b.Per {
		c.addf(a.key("quota", "per"), "%v must be longer than burst.per (%v)", q.Per, b.Per)
	}
	if q.Requests < b.Requests {
		c.addf(a.key("quota", "requests"), "%d is fewer than burst.requests (%d): the burst could never be used in full", q.Requests, b.Requests)
	}
}

// checkWindow reports whether w (a burst or quota of owner) is usable,
// and records or compares its length with the shared one.
func checkWindow(c *collector, a at, kind, owner string, w Window, shared **sharedWindow) bool {
	ok := true
	if w.Requests < 1 || w.Requests > MaxUserRequests {
		c.addf(a.key("requests"), "want a number of requests from 1 to %d, got %d", MaxUserRequests, w.Requests)
		ok = false
	}
	switch {
	case w.Per < time.Millisecond || w.Per > MaxUserWindow:
		c.addf(a.key("per"), "want a duration from 1ms to %v, got %v", MaxUserWindow, w.Per)
		ok = false
	case w.Per%time.Millisecond != 0:
		c.addf(a.key("per"), "want a whole number of milliseconds, got %v", w.Per)
		ok = false
	case *shared == nil:
		*shared = &sharedWindow{per: w.Per, owner: owner}
	case (*shared).per != w.Per:
		c.addf(a.key("per"), "%v differs from the %s window of %s (%v): all per-user limits share one burst window and one quota window, so that the limits of a caller's roles compare",
			w.Per, kind, (*shared).owner, (*shared).per)
		ok = false
	}
	return ok
}

// Resolve returns the per-user limit for a caller holding roles. It does
// not allocate; the windows it returns belong to the policy and must not
// be modified.
//
//   - Only roles listed under roles count. If none of the caller's roles
//     is listed, default applies; without a default the caller is not
//     limited. (So a listed role may be stricter than the default.)
//   - If any counted role is unlimited, the caller is unlimited.
//   - Otherwise the burst is the largest burst among the counted roles,
//     and the quota the largest quota, or none if some counted role has
//     none. Validation makes every burst share one window and every quota
//     another, so the result is one of the policy's windows per kind and
//     as valid as each role's limit.
//
// A nil PerUser (no per_user section) limits nobody: the result is
// UserLimit{Unlimited: true}, as it is whenever no limit applies.
func (p *PerUser) Resolve(roles []string) UserLimit {
	unlimited := UserLimit{Unlimited: true}
	if p == nil {
		return unlimited
	}
	var out UserLimit
	found := false
	for _, r := range roles {
		l, ok := p.Roles[r]
		switch {
		case !ok:
			continue
		case l.Unlimited:
			return unlimited
		case !found:
			out, found = l, true
		default:
			out.Burst = larger(out.Burst, l.Burst)
			out.Quota = larger(out.Quota, l.Quota)
		}
	}
	switch {
	case found:
		return out
	case p.Default != nil:
		return *p.Default
	}
	return unlimited
}

// PerUserLimit is s.PerUser.Resolve(roles) for a section that may be
// absent: a nil Spec limits nobody.
func (s *Spec) PerUserLimit(roles []string) UserLimit {
	if s == nil {
		return UserLimit{Unlimited: true}
	}
	return s.PerUser.Resolve(roles)
}

// larger returns the window allowing more requests, where nil (no limit)
// allows everything. The windows have the same length.
func larger(a, b *Window) *Window {
	switch {
	case a == nil || b == nil:
		return nil
	case b.Requests > a.Requests:
		return b
	}
	return a
}
