package token

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const issJWKS = "https://jwks.example"

// jwksVerifier starts a verifier for one JWKS issuer served by srv, with the
// cache disabled and the server's own TLS client.
func jwksVerifier(t *testing.T, srv *jwksServer, clock *fakeClock, mutate ...func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{
		Cache:   CacheConfig{Disabled: true},
		Issuers: []IssuerConfig{jwksIssuer(issJWKS, srv.URL)},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	return newVerifier(t, cfg, WithHTTPClient(srv.Client()), WithClock(clock.Now))
}

// tokenFor signs a valid RS256 token for the JWKS issuer.
func tokenFor(t testing.TB, kid string, key any, now time.Time, extra ...any) string {
	t.Helper()
	alg := "RS256"
	if strings.HasPrefix(kid, "ec") {
		alg = "ES256"
	}
	h := map[string]any{}
	if kid != "" {
		h["kid"] = kid
	}
	return sign(t, alg, key, h, with(claimsAt(issJWKS, now), extra...))
}

func TestJWKSUnknownKIDRefetch(t *testing.T) {
	k := testKeys()
	clock := newFakeClock()
	srv := newJWKSServer(t, jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey}))
	v := jwksVerifier(t, srv, clock)
	if got := srv.hits.Load(); got != 1 {
		t.Fatalf("initial fetches = %d, want 1", got)
	}

	// The IdP rotates in k2. Many requests carrying k2 arrive at once; the
	// slow response keeps the first fetch in flight while the others join.
	srv.set(jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey}, jwk{kid: "k2", pub: &k.rsa2.PublicKey}))
	srv.delay.Store(int64(100 * time.Millisecond))
	tok2 := tokenFor(t, "k2", k.rsa2, clock.Now())
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := v.Verify(t.Context(), tok2)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Verify(k2) = %v", err)
		}
	}
	if got := srv.hits.Load(); got != 2 {
		t.Fatalf("fetches after %d concurrent unknown-kid requests = %d, want 2 (one refetch)", n, got)
	}

	// Another unknown kid inside the rate-limit window: no fetch, fails fast.
	srv.delay.Store(0)
	tok3 := tokenFor(t, "k3", k.rsa3, clock.Now())
	for range 3 {
		if _, err := v.Verify(t.Context(), tok3); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("Verify(k3) = %v, want ErrUnknownKey", err)
		}
	}
	if got := srv.hits.Load(); got != 2 {
		t.Fatalf("fetches inside the rate-limit window = %d, want 2", got)
	}

	// After the window one more refetch is allowed.
	clock.Advance(time.Minute)
	if _, err := v.Verify(t.Context(), tok3); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Verify(k3) after window = %v, want ErrUnknownKey", err)
	}
	if got := srv.hits.Load(); got != 3 {
		t.Fatalf("fetches after the window = %d, want 3", got)
	}
}

// TestJWKSRotationInFlight verifies tokens of the old and the new key from
// many goroutines while the served set goes {k1} -> {k1,k2} -> {k2}.
func TestJWKSRotationInFlight(t *testing.T) {
	k := testKeys()
	clock := newFakeClock()
	srv := newJWKSServer(t, jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey}))
	// With the cache on, so that removing k1 must also invalidate it.
	v := jwksVerifier(t, srv, clock, func(c *Config) {
		c.Cache.Disabled = false
		c.Issuers[0].JWKS.UnknownKIDRefetchInterval = time.Millisecond
	})
	tok1 := tokenFor(t, "k1", k.rsa, clock.Now())
	tok2 := tokenFor(t, "k2", k.rsa2, clock.Now())
	tok3 := tokenFor(t, "k3", k.rsa3, clock.Now()) // never published: forces refetches

	// Workers hold phase for reading around each Verify, so a phase change
	// waits for in-flight requests and each result is judged by the phase
	// it ran in: 0 {k1}; 1 {k1,k2}; 2 {k2} served, refetch pending; 3 {k2}
	// installed.
	var phase sync.RWMutex
	cur := 0
	setPhase := func(p int) {
		phase.Lock()
		cur = p
		phase.Unlock()
	}
	judge := func(kid string, p int, err error) {
		switch {
		case err == nil && (kid == "k2" || p <= 2):
		case errors.Is(err, ErrUnknownKey) && kid == "k1" && p >= 2:
		default:
			t.Errorf("Verify(%s) in phase %d = %v", kid, p, err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	worker := func(kid, tok string) {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				phase.RLock()
				_, err := v.Verify(t.Context(), tok)
				judge(kid, cur, err)
				phase.RUnlock()
			}
		})
	}
	for range 4 {
		worker("k1", tok1)
	}
	time.Sleep(20 * time.Millisecond)

	// Publish k2, then let k2 requests race each other into the refetch.
	srv.set(jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey}, jwk{kid: "k2", pub: &k.rsa2.PublicKey}))
	clock.Advance(time.Second)
	setPhase(1)
	for range 4 {
		worker("k2", tok2)
	}
	time.Sleep(50 * time.Millisecond)

	// Retire k1 and force refetches until the new set is installed.
	srv.set(jwksJSON(t, jwk{kid: "k2", pub: &k.rsa2.PublicKey}))
	setPhase(2)
	deadline := time.Now().Add(10 * time.Second)
	for hasKID(v, issJWKS, "k1") {
		if time.Now().After(deadline) {
			t.Fatal("k1 still installed after 10s of refetching")
		}
		clock.Advance(time.Second)
		_, _ = v.Verify(t.Context(), tok3)
	}
	setPhase(3)
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()

	if _, err := v.Verify(t.Context(), tok1); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("k1 token (cached before) after revocation: %v, want ErrUnknownKey", err)
	}
	if _, err := v.Verify(t.Context(), tok2); err != nil {
		t.Fatalf("k2 token after rotation: %v", err)
	}
}

// hasKID reports whether the fetched set of iss currently holds kid.
func hasKID(v *Verifier, iss, kid string) bool {
	s := v.issuers[iss].remote.current()
	return s != nil && len(s.byKID[kid]) > 0
}

// TestJWKSKeepsLastGoodKeys: a failing or nonsensical JWKS endpoint never
// replaces the keys we have.
func TestJWKSKeepsLastGoodKeys(t *testing.T) {
	k := testKeys()
	good := jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey})
	tests := []struct {
		name   string
		status int
		body   string
		down   bool
	}{
		{name: "server error", status: http.StatusInternalServerError, body: "oops"},
		{name: "not found", status: http.StatusNotFound, body: string(good)},
		{name: "garbage", status: http.StatusOK, body: "<html>login</html>"},
		{name: "empty set", status: http.StatusOK, body: `{"keys":[]}`},
		{name: "no keys member", status: http.StatusOK, body: `{}`},
		{name: "only a symmetric key", status: http.StatusOK, body: `{"keys":[{"kty":"oct","kid":"k2","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}`},
		{name: "only an invalid RSA key", status: http.StatusOK, body: `{"keys":[{"kty":"RSA","kid":"k2","n":"AQAB","e":"AQAB"}]}`},
		{name: "oversized", status: http.StatusOK, body: `{"keys":[` + strings.Repeat(" ", maxJWKSBytes) + `]}`},
		{name: "server down", down: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := newJWKSServer(t, good)
			v := jwksVerifier(t, srv, clock)
			tok1 := tokenFor(t, "k1", k.rsa, clock.Now())
			tok2 := tokenFor(t, "k2", k.rsa2, clock.Now())

			if tt.down {
				srv.Close()
			} else {
				srv.status.Store(int32(tt.status))
				srv.set([]byte(tt.body))
			}
			// An unknown kid triggers a refetch, which fails.
			if _, err := v.Verify(t.Context(), tok2); !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("Verify(k2) = %v, want ErrUnknownKey", err)
			}
			if !tt.down && srv.hits.Load() != 2 {
				t.Fatalf("fetches = %d, want 2", srv.hits.Load())
			}
			if _, err := v.Verify(t.Context(), tok1); err != nil {
				t.Fatalf("Verify(k1) after a bad refetch = %v", err)
			}
			if err := v.Ready(); err != nil {
				t.Fatalf("Ready() = %v", err)
			}
		})
	}
}

func TestJWKSUnavailableThenRecovers(t *testing.T) {
	k := testKeys()
	clock := newFakeClock()
	srv := newJWKSServer(t, []byte("down for maintenance"))
	srv.status.Store(http.StatusServiceUnavailable)
	v := jwksVerifier(t, srv, clock) // first fetch fails: not fatal

	err := v.Ready()
	if !errors.Is(err, ErrKeysUnavailable) || !strings.Contains(err.Error(), issJWKS) {
		t.Fatalf("Ready() = %v, want ErrKeysUnavailable naming the issuer", err)
	}
	tok := tokenFor(t, "k1", k.rsa, clock.Now())
	// The first request may refetch (and fail again); later ones in the
	// window do not.
	for range 3 {
		if _, err := v.Verify(t.Context(), tok); !errors.Is(err, ErrKeysUnavailable) {
			t.Fatalf("Verify() = %v, want ErrKeysUnavailable", err)
		}
	}
	if got := srv.hits.Load(); got != 2 {
		t.Fatalf("fetches = %d, want 2 (start + one rate-limited refetch)", got)
	}

	srv.set(jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey}))
	srv.status.Store(http.StatusOK)
	clock.Advance(time.Minute)
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify() after recovery = %v", err)
	}
	if err := v.Ready(); err != nil {
		t.Fatalf("Ready() after recovery = %v", err)
	}
}

// TestJWKSBackgroundRefresh: keys published later arrive without any
// unknown-kid refetch, on the refresh interval.
func TestJWKSBackgroundRefresh(t *testing.T) {
	k := testKeys()
	clock := newFakeClock()
	srv := newJWKSServer(t, jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey}))
	v := jwksVerifier(t, srv, clock, func(c *Config) {
		c.Issuers[0].JWKS.RefreshInterval = time.Second
		c.Issuers[0].JWKS.UnknownKIDRefetchInterval = time.Hour
	})
	// Use up the one refetch the limiter allows.
	if _, err := v.Verify(t.Context(), tokenFor(t, "zz", k.rsa3, clock.Now())); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Verify(zz) = %v", err)
	}
	srv.set(jwksJSON(t, jwk{kid: "k2", pub: &k.rsa2.PublicKey}))
	before := srv.hits.Load()
	deadline := time.Now().Add(10 * time.Second)
	for srv.hits.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("no background refresh within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The fetch has been served; wait for it to be installed.
	tok2 := tokenFor(t, "k2", k.rsa2, clock.Now())
	for {
		_, err := v.Verify(t.Context(), tok2)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Verify(k2) after background refresh = %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestJWKSKeySelection(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name    string
		set     []byte
		algs    []string
		token   func(now time.Time) string
		wantErr error
	}{
		{
			name:  "kid-less key, token without kid",
			set:   jwksJSON(t, jwk{pub: &k.rsa.PublicKey}),
			token: func(now time.Time) string { return tokenFor(t, "", k.rsa, now) },
		},
		{
			name:    "two kid-less RSA keys are ambiguous",
			set:     jwksJSON(t, jwk{pub: &k.rsa.PublicKey}, jwk{pub: &k.rsa2.PublicKey}),
			token:   func(now time.Time) string { return tokenFor(t, "", k.rsa, now) },
			wantErr: ErrUnknownKey,
		},
		{
			name:  "kid-less keys of different types are not ambiguous",
			set:   jwksJSON(t, jwk{pub: &k.rsa.PublicKey}, jwk{pub: &k.ec256.PublicKey}),
			token: func(now time.Time) string { return tokenFor(t, "", k.rsa, now) },
		},
		{
			name:    "kid-less key next to a keyed key of the same type",
			set:     jwksJSON(t, jwk{pub: &k.rsa.PublicKey}, jwk{kid: "k2", pub: &k.rsa2.PublicKey}),
			token:   func(now time.Time) string { return tokenFor(t, "", k.rsa, now) },
			wantErr: ErrUnknownKey,
		},
		{
			name:    "token without kid, the only key has one",
			set:     jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey}),
			token:   func(now time.Time) string { return tokenFor(t, "", k.rsa, now) },
			wantErr: ErrUnknownKey,
		},
		{
			name:    "kid-less key, token with kid",
			set:     jwksJSON(t, jwk{pub: &k.rsa.PublicKey}),
			token:   func(now time.Time) string { return tokenFor(t, "k1", k.rsa, now) },
			wantErr: ErrUnknownKey,
		},
		{
			name:  "ES256 key from JWKS",
			set:   jwksJSON(t, jwk{kid: "ec1", pub: &k.ec256.PublicKey}),
			token: func(now time.Time) string { return tokenFor(t, "ec1", k.ec256, now) },
		},
		{
			name:    "P-384 key cannot verify ES256",
			set:     jwksJSON(t, jwk{kid: "ec1", pub: &k.ec384.PublicKey}, jwk{kid: "other", pub: &k.rsa.PublicKey}),
			token:   func(now time.Time) string { return tokenFor(t, "ec1", k.ec256, now) },
			wantErr: ErrUnknownKey,
		},
		{
			name:    "JWK alg restricts the key",
			set:     jwksJSON(t, jwk{kid: "k1", alg: "PS256", pub: &k.rsa.PublicKey}),
			token:   func(now time.Time) string { return tokenFor(t, "k1", k.rsa, now) },
			wantErr: ErrUnknownKey,
		},
		{
			name: "oct key in the JWKS is never used for HS256",
			set: []byte(`{"keys":[{"kty":"oct","kid":"hs","k":"` + b64("attacker-chosen-secret-attacker-chosen") + `"},` +
				strings.TrimPrefix(string(jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey})), `{"keys":[`)),
			algs: []string{"RS256", "HS256"},
			token: func(now time.Time) string {
				return sign(t, "HS256", []byte("attacker-chosen-secret-attacker-chosen"), map[string]any{"kid": "hs"}, claimsAt(issJWKS, now))
			},
			wantErr: ErrSignature,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := newJWKSServer(t, tt.set)
			v := jwksVerifier(t, srv, clock, func(c *Config) {
				if tt.algs != nil {
					c.Issuers[0].Algorithms = tt.algs
					c.Issuers[0].HMACSecretFile = writeFile(t, "secret", testKeys().hmac)
				}
			})
			_, err := v.Verify(t.Context(), tt.token(clock.Now()))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestJWKSCAFile: jwks.ca_file is how a private IdP CA is trusted.
func TestJWKSCAFile(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey}))
	ca := writeFile(t, "ca.pem", certPEM(srv))
	tests := []struct {
		name    string
		caFile  string
		wantErr error
	}{
		{name: "with ca_file", caFile: ca},
		{name: "system roots only", wantErr: ErrKeysUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			ic := jwksIssuer(issJWKS, srv.URL)
			ic.JWKS.CAFile = tt.caFile
			v := newVerifier(t, Config{Issuers: []IssuerConfig{ic}}, WithClock(clock.Now))
			_, err := v.Verify(t.Context(), tokenFor(t, "k1", k.rsa, clock.Now()))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestNextRefresh(t *testing.T) {
	tests := []struct {
		name             string
		maxAge, interval time.Duration
		want             time.Duration
	}{
		{"no max-age", 0, 5 * time.Minute, 5 * time.Minute},
		{"max-age shortens", 100 * time.Second, 5 * time.Minute, 90 * time.Second},
		{"max-age floored", 2 * time.Second, 5 * time.Minute, minMaxAgeRefresh},
		{"interval caps", time.Hour, 5 * time.Minute, 5 * time.Minute},
		{"interval below the floor wins", time.Hour, 2 * time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextRefresh(tt.maxAge, tt.interval); got != tt.want {
				t.Errorf("nextRefresh(%s, %s) = %s, want %s", tt.maxAge, tt.interval, got, tt.want)
			}
		})
	}
}

func TestParseMaxAge(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"max-age=300", 300 * time.Second},
		{"public, MAX-AGE=60, must-revalidate", time.Minute},
		{`max-age="30"`, 30 * time.Second},
		{"max-age=-1", 0},
		{"max-age=abc", 0},
		{"no-store", 0},
		{"max-age=999999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			if got := parseMaxAge(tt.header); got != tt.want {
				t.Errorf("parseMaxAge(%q) = %s, want %s", tt.header, got, tt.want)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{{1, 2 * time.Second}, {2, 4 * time.Second}, {3, 8 * time.Second}, {20, time.Minute}}
	for _, tt := range tests {
		if got := retryDelay(tt.failures, 2*time.Second, time.Minute); got != tt.want {
			t.Errorf("retryDelay(%d) = %s, want %s", tt.failures, got, tt.want)
		}
	}
}

// TestJWKSRedirectToHTTP: an https jwks_url is not downgraded to http by
// a redirect unless allow_http is set.
func TestJWKSRedirectToHTTP(t *testing.T) {
	k := testKeys()
	plain := newPlainServer(t, jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey}))
	redir := httptest.NewTLSServer(http.RedirectHandler(plain.URL, http.StatusFound))
	t.Cleanup(redir.Close)
	tests := []struct {
		name      string
		allowHTTP bool
		wantErr   error
	}{
		{name: "refused by default", wantErr: ErrKeysUnavailable},
		{name: "followed with allow_http", allowHTTP: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic := jwksIssuer(issJWKS, redir.URL)
			ic.JWKS.AllowHTTP = tt.allowHTTP
			v := newVerifier(t, Config{Issuers: []IssuerConfig{ic}}, WithHTTPClient(redir.Client()))
			if err := v.Ready(); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Ready() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestVerifierStopsWithContext: the refresh goroutines end with ctx.
func TestVerifierStopsWithContext(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, jwksJSON(t, jwk{kid: "k1", pub: &k.rsa.PublicKey}))
	ctx, cancel := context.WithCancel(t.Context())
	v, err := NewVerifier(ctx, Config{Issuers: []IssuerConfig{jwksIssuer(issJWKS, srv.URL)}}, WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	done := make(chan struct{})
	go func() {
		v.Close() // waits for the goroutines
		v.Close() // and is idempotent
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("refresh goroutines did not stop after ctx was cancelled")
	}
}
