package token

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Verifier authenticates bearer tokens. It is safe for concurrent use.
type Verifier struct {
	parser        *jwt.Parser
	issuers       map[string]*issuer
	order         []*issuer       // config order, for Ready
	algs          map[string]bool // union of all allowlists
	maxTokenBytes int
	now           func() time.Time
	cache         *tokenCache // nil when disabled
	logger        *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewVerifier validates cfg (on a copy), loads static keys (failures are
// fatal and name the file) and fetches every jwks_url. A failed first fetch
// is logged, not returned: that issuer's tokens fail with ErrKeysUnavailable
// until keys arrive. Background refreshes stop when ctx ends or on Close.
func NewVerifier(ctx context.Context, cfg Config, opts ...Option) (*Verifier, error) {
	o := options{now: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	// Validate fills defaults in place; keep the caller's config untouched.
	cfg.Issuers = slices.Clone(cfg.Issuers)
	if cfg.Signing != nil {
		s := *cfg.Signing
		cfg.Signing = &s
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid authn config: %w", err)
	}

	life, cancel := context.WithCancel(ctx)
	v := &Verifier{
		issuers:       make(map[string]*issuer, len(cfg.Issuers)),
		algs:          make(map[string]bool),
		maxTokenBytes: cfg.MaxTokenBytes,
		now:           o.now,
		logger:        o.logger,
		cancel:        cancel,
	}
	for i := range cfg.Issuers {
		is, err := buildIssuer(life, fmt.Sprintf("issuers[%d]", i), &cfg.Issuers[i], &o)
		if err != nil {
			cancel()
			return nil, err
		}
		v.issuers[is.name] = is
		v.order = append(v.order, is)
		for _, a := range is.algs {
			v.algs[a] = true
		}
	}
	if err := v.addRingIssuers(o.rings); err != nil {
		cancel()
		return nil, err
	}
	if !cfg.Cache.Disabled {
		c, err := newTokenCache(cfg.Cache.MaxEntries)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("cache: %w", err)
		}
		v.cache = c
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(slices.Sorted(maps.Keys(v.algs))),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(o.now),
	)
	v.startFetchers()
	return v, nil
}

// buildIssuer loads the issuer's static keys and prepares its fetcher.
func buildIssuer(life context.Context, path string, ic *IssuerConfig, o *options) (*issuer, error) {
	is := &issuer{
		name:      ic.Issuer,
		audiences: slices.Clone(ic.Audiences),
		algs:      slices.Clone(ic.Algorithms),
		claims:    newClaimMapping(ic.Claims),
	}
	keys, err := loadStaticKeys(path, ic)
	if err != nil {
		return nil, err
	}
	if len(keys) > 0 {
		is.static = newKeySet(keys)
	}
	if ic.HMACSecretFile != "" {
		if is.hmac, err = loadHMACSecret(ic.HMACSecretFile); err != nil {
			return nil, fmt.Errorf("%s.hmac_secret_file: %q: %w", path, ic.HMACSecretFile, err)
		}
	}
	if ic.JWKSURL != "" {
		client, err := jwksClient(o.client, ic.JWKS.CAFile, ic.JWKS.AllowHTTP)
		if err != nil {
			return nil, fmt.Errorf("%s.jwks.ca_file: %q: %w", path, ic.JWKS.CAFile, err)
		}
		logger := o.logger.With("issuer", ic.Issuer, "jwks_url", ic.JWKSURL)
		is.remote = newJWKSFetcher(life, ic.JWKSURL, client, ic.JWKS, o.now, logger)
	}
	return is, nil
}

// startFetchers fetches every JWK Set concurrently, waits for those first
// fetches, then leaves one refresh goroutine per jwks_url running.
func (v *Verifier) startFetchers() {
	var first sync.WaitGroup
	for _, is := range v.order {
		f := is.remote
		if f == nil {
			continue
		}
		first.Add(1)
		v.wg.Go(func() {
			maxAge, err := f.fetch()
			if err != nil {
				f.logger.Error("initial JWKS fetch failed; tokens of this issuer fail until keys arrive", "error", err)
			}
			first.Done()
			f.run(maxAge, err)
		})
	}
	first.Wait()
}

// Ready returns nil when every issuer has usable keys. An issuer with a
// jwks_url is ready once one fetch succeeded; the error names the others.
func (v *Verifier) Ready() error {
	var errs []error
	for _, is := range v.order {
		if is.remote != nil && is.remote.current() == nil {
			errs = append(errs, fmt.Errorf("issuer %q: no keys fetched from %s yet: %w", is.name, is.remote.url, ErrKeysUnavailable))
		}
	}
	return errors.Join(errs...)
}

// CacheStats reports the verified-token cache counters (zero when disabled).
func (v *Verifier) CacheStats() CacheStats {
	if v.cache == nil {
		return CacheStats{}
	}
	return v.cache.stats()
}

// Close stops background refreshes and waits for them. Verify keeps working
// with the keys held at that point. Close is idempotent.
func (v *Verifier) Close() {
	v.cancel()
	v.wg.Wait()
}
