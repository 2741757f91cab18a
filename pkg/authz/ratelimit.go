package authz

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/martyedge/security/pkg/limits"
	"github.com/martyedge/security/pkg/ratelimit"
)

// RateLimiter counts a principal's requests against its rule in one round
// trip. *ratelimit.MemoryLimiter and *ratelimit.RedisLimiter implement it.
type RateLimiter interface {
	Allow(ctx context.Context, key string, rule ratelimit.Rule, now time.Time) (ratelimit.Result, error)
}

// DefaultLimitTimeout bounds one limiter call, like DefaultSessionTimeout.
const DefaultLimitTimeout = 50 * time.Millisecond

// limitKey names the principal a limit counts against: the verified
// subject qualified by its issuer (two identity providers may reuse a
// subject), or the mTLS principal. Anonymous callers are not limited here;
// Envoy's global limits (per client IP) cover them.
func limitKey(d *Decision) string {
	switch {
	case d.Identity != nil:
		return "u|" + d.Identity.Issuer + "|" + d.Identity.Subject
	case d.Principal != "":
		return "p|" + d.Principal
	}
	return ""
}

// ruleOf turns the policy's per-user limit into a limiter rule; ok is false
// when the caller is not limited. The policy guarantees a burst window
// for every limited caller; the quota is optional.
func ruleOf(l limits.UserLimit) (ratelimit.Rule, bool) {
	if l.Unlimited || l.Burst == nil {
		return ratelimit.Rule{}, false
	}
	r := ratelimit.Rule{Burst: ratelimit.Limit{Requests: l.Burst.Requests, Per: l.Burst.Per}}
	if l.Quota != nil {
		r.Quota = ratelimit.Limit{Requests: l.Quota.Requests, Per: l.Quota.Per}
	}
	return r, true
}

// checkLimit applies the caller's per-user limit after the request was
// authorized, so only requests that would reach the upstream count. A
// limiter that cannot answer lets the request through unless
// LimitFailClosed is set: an outage of the counter should not become an
// outage of the API.
func (s *Service) checkLimit(ctx context.Context, l limits.UserLimit, d *Decision) *denial {
	rule, limited := ruleOf(l)
	key := limitKey(d)
	if s.opts.Limiter == nil || !limited || key == "" {
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, s.opts.LimitTimeout)
	res, err := s.opts.Limiter.Allow(lctx, key, rule, s.opts.Clock())
	cancel()
	if err != nil {
		s.opts.Metrics.limiterError(s.opts.LimitFailClosed)
		s.log.LogAttrs(ctx, slog.LevelWarn, "rate limiter unavailable",
			slog.String("request_id", d.RequestID), slog.Bool("fail_closed", s.opts.LimitFailClosed), slog.Any("error", err))
		if s.opts.LimitFailClosed {
			return errLimiterUnavailable
		}
		return nil
	}
	d.Limit = &res
	if !res.Allowed {
		return errRateLimited
	}
	return nil
}

// limitHeaders are the x-ratelimit-* headers of a decision that was
// counted: on allow they go to the client with the upstream's response, on
// a 429 with the denial, which alone also gets Retry-After (a shadow-mode
// allow over the limit does not tell the client to wait).
func limitHeaders(r *ratelimit.Result, denied bool) [][2]string {
	h := [][2]string{
		{"x-ratelimit-limit", strconv.FormatInt(r.Limit, 10)},
		{"x-ratelimit-remaining", strconv.FormatInt(r.Remaining, 10)},
		{"x-ratelimit-reset", strconv.FormatInt(ceilSeconds(r.Reset), 10)},
	}
	if denied {
		h = append(h, [2]string{"retry-after", strconv.FormatInt(max(1, ceilSeconds(r.RetryAfter)), 10)})
	}
	return h
}

// ceilSeconds rounds up: a client told to wait 0 s would retry at once.
func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

var (
	errRateLimited = &denial{
		status: http.StatusTooManyRequests, code: "rate_limited", reason: ReasonRateLimited,
		description: "rate limit exceeded, retry later",
	}
	errLimiterUnavailable = &denial{
		status: http.StatusServiceUnavailable, code: "temporarily_unavailable", reason: ReasonLimiterUnavailable,
		description: "rate limiter unavailable, retry later",
	}
)
