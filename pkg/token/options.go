package token

import (
	"log/slog"
	"net/http"
	"time"
)

// Option customises a Verifier.
type Option func(*options)

type options struct {
	client *http.Client
	now    func() time.Time
	logger *slog.Logger
	rings  []*KeyRing
}

// WithHTTPClient sets the client used to fetch JWK Sets. Its transport is
// cloned (and given the issuer's roots) for issuers with jwks.ca_file.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) {
		if c != nil {
			o.client = c
		}
	}
}

// WithClock sets the clock used for exp/nbf/iat checks, the cache and the
// unknown-kid refetch rate limit (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithLogger sets the logger for key loading and refresh events (default:
// discard). Tokens and claim values are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}
