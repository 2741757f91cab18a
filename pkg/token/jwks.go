package token

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

// The remote JWK Set is fetched here rather than with keyfunc/v3 or
// jwkset.NewStorageFromHTTP, which we only use to parse and validate keys:
//   - their unknown-kid refresh makes every caller wait on a rate.Limiter and
//     then fetch on its own, so N concurrent tokens with a new kid cause N
//     fetches (spread over N windows), and callers block up to a minute
//     instead of failing fast inside the window;
//   - a 200 response holding an empty or entirely unusable set replaces the
//     last good keys, and the body size is unbounded;
//   - they ignore Cache-Control and hand back whatever key type the JWK says,
//     leaving the algorithm/key-type policy to the caller anyway.
// What is needed on top of jwkset parsing is small: one singleflight'ed,
// rate-limited refetch, keep-last-good, and a refresh loop.

const (
	// maxJWKSBytes bounds a JWK Set response; real sets are a few KiB.
	maxJWKSBytes = 1 << 20
	// minMaxAgeRefresh is the floor on a refresh scheduled from max-age, so
	// a tiny or zero max-age cannot turn the loop into a hammer.
	minMaxAgeRefresh = 10 * time.Second
)

// errRefetchLimited: an unknown-kid refetch was refused by the rate limit.
var errRefetchLimited = errors.New("jwks refetch rate-limited")

// jwksFetcher keeps the current key set of one jwks_url.
type jwksFetcher struct {
	url     string
	client  *http.Client
	timeout time.Duration
	refresh time.Duration
	// retry is the first delay after a failed refresh (doubling up to
	// refresh). It is the unknown-kid refetch interval: the rate at which
	// the operator agreed we may hit the identity provider unprompted.
	retry  time.Duration
	now    func() time.Time
	logger *slog.Logger

	keys atomic.Pointer[keySet] // nil until the first successful fetch
	// gen changes whenever a key disappears from the set, so cached
	// verifications made with a revoked key stop being served.
	gen atomic.Uint64

	limiter *rate.Limiter // unknown-kid refetches, driven by the injected clock
	flight  singleflight.Group
	fetchMu sync.Mutex // one HTTP fetch at a time, so an older response never overwrites a newer one
	life    context.Context
}

func newJWKSFetcher(life context.Context, url string, client *http.Client, jc JWKSConfig, now func() time.Time, logger *slog.Logger) *jwksFetcher {
	return &jwksFetcher{
		url:     url,
		client:  client,
		timeout: jc.Timeout,
		refresh: jc.RefreshInterval,
		retry:   jc.UnknownKIDRefetchInterval,
		now:     now,
		logger:  logger,
		limiter: rate.NewLimiter(rate.Every(jc.UnknownKIDRefetchInterval), 1),
		life:    life,
	}
}

// current returns the last good key set, or nil if none was ever fetched.
func (f *jwksFetcher) current() *keySet { return f.keys.Load() }

// generation identifies the current key set for cache invalidation.
func (f *jwksFetcher) generation() uint64 { return f.gen.Load() }

// fetch downloads and installs the JWK Set. On any failure the previous set
// stays in place. It returns the response's max-age (0 when absent).
func (f *jwksFetcher) fetch() (time.Duration, error) {
	f.fetchMu.Lock()
	defer f.fetchMu.Unlock()
	ctx, cancel := context.WithTimeout(f.life, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("fetch JWK Set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("fetch JWK Set: unexpected status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return 0, fmt.Errorf("read JWK Set: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return 0, fmt.Errorf("JWK Set is larger than %d bytes", maxJWKSBytes)
	}
	keys, skipped, err := parseJWKS(body)
	if err != nil {
		return 0, err
	}
	for _, s := range skipped {
		level := slog.LevelWarn
		if errors.Is(s, errNotSigningKey) {
			level = slog.LevelDebug // e.g. the "enc" key most IdPs publish
		}
		f.logger.Log(f.life, level, "ignoring JWK", "error", s)
	}
	f.install(newKeySet(keys))
	return parseMaxAge(resp.Header.Get("Cache-Control")), nil
}

// install swaps in the new set and bumps the generation if a key went away.
func (f *jwksFetcher) install(s *keySet) {
	old := f.keys.Swap(s)
	if old == nil {
		return
	}
	for _, k := range old.keys {
		if !s.contains(k) {
			f.gen.Add(1)
			f.logger.Info("JWKS key removed or changed", "kid", k.kid)
			return
		}
	}
}

// refetch is called when a token names a kid we do not have. All concurrent
// callers share one fetch, and at most one fetch per interval happens; a
// caller that lands in the window returns at once. Whatever the outcome the
// caller re-reads current(): a fetch that just finished may hold its kid.
func (f *jwksFetcher) refetch(ctx context.Context) {
	ch := f.flight.DoChan("refetch", func() (any, error) {
		if !f.limiter.AllowN(f.now(), 1) {
			return nil, errRefetchLimited
		}
		_, err := f.fetch()
		if err != nil {
			f.logger.Warn("JWKS refetch for unknown kid failed; keeping last good keys", "error", err)
		}
		return nil, err
	})
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// run refreshes the set until the lifetime context ends. lastErr is the
// outcome of the initial fetch and maxAge its max-age.
func (f *jwksFetcher) run(maxAge time.Duration, lastErr error) {
	failures := 0
	next := nextRefresh(maxAge, f.refresh)
	if lastErr != nil {
		failures = 1
		next = retryDelay(failures, f.retry, f.refresh)
	}
	timer := time.NewTimer(jitter(next))
	defer timer.Stop()
	for {
		select {
		case <-f.life.Done():
			return
		case <-timer.C:
		}
		maxAge, err := f.fetch()
		if err != nil {
			failures++
			next = retryDelay(failures, f.retry, f.refresh)
			f.logger.Warn("JWKS refresh failed; keeping last good keys", "error", err, "retry_in", next)
		} else {
			failures = 0
			next = nextRefresh(maxAge, f.refresh)
		}
		timer.Reset(jitter(next))
	}
}

// nextRefresh schedules the next refresh a little before max-age runs out,
// within [minMaxAgeRefresh, interval] (interval wins if it is shorter).
func nextRefresh(maxAge, interval time.Duration) time.Duration {
	if maxAge <= 0 {
		return interval
	}
	return min(interval, max(maxAge-maxAge/10, minMaxAgeRefresh))
}

// retryDelay backs off exponentially from base after consecutive failures,
// never beyond interval.
func retryDelay(failures int, base, interval time.Duration) time.Duration {
	d := base
	for i := 1; i < failures && d < interval; i++ {
		d *= 2
	}
	return min(d, interval)
}

// jitter spreads refreshes of many replicas by up to -10%.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d - rand.N(d/10+1)
}

// parseMaxAge extracts max-age from a Cache-Control header (0 if absent).
func parseMaxAge(cc string) time.Duration {
	for dir := range strings.SplitSeq(cc, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(dir), "=")
		if !ok || !strings.EqualFold(name, "max-age") {
			continue
		}
		secs, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
		if err != nil || secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	return 0
}
