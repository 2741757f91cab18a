package token

import (
	"errors"
	"testing"
	"time"
)

// cachedVerifier has one static RS256 issuer (issMain, kid rsa1), a fake
// clock and the cache on.
func cachedVerifier(t *testing.T, clock *fakeClock, maxEntries int) *Verifier {
	t.Helper()
	cfg := Config{
		Cache: CacheConfig{MaxEntries: maxEntries},
		Issuers: []IssuerConfig{{
			Issuer: issMain, Audiences: []string{"api"}, Algorithms: []string{"RS256"},
			PEMKeys: []PEMKey{{KeyID: "rsa1", File: writePublicPEM(t, &testKeys().rsa.PublicKey)}},
		}},
	}
	return newVerifier(t, cfg, WithClock(clock.Now))
}

func TestCacheHit(t *testing.T) {
	clock := newFakeClock()
	v := cachedVerifier(t, clock, 0)
	tok := sign(t, "RS256", testKeys().rsa, map[string]any{"kid": "rsa1"}, claimsAt(issMain, clock.Now()))

	first, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	second, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Error("cache hit returned a different Identity")
	}
	if got, want := v.CacheStats(), (CacheStats{Hits: 1, Misses: 1, Entries: 1}); got != want {
		t.Errorf("CacheStats() = %+v, want %+v", got, want)
	}
}

// TestCacheExpiry: an entry is never used at or after exp; past exp the
// token is verified again (leeway may still accept it) and not re-cached.
func TestCacheExpiry(t *testing.T) {
	clock := newFakeClock()
	v := cachedVerifier(t, clock, 0)
	c := with(claimsAt(issMain, clock.Now()), "exp", clock.Now().Add(time.Minute).Unix())
	tok := sign(t, "RS256", testKeys().rsa, map[string]any{"kid": "rsa1"}, c)

	steps := []struct {
		name    string
		advance time.Duration
		wantErr error
		want    CacheStats
	}{
		{name: "first use is a miss", want: CacheStats{Hits: 0, Misses: 1, Entries: 1}},
		{name: "just before exp is a hit", advance: 59 * time.Second, want: CacheStats{Hits: 1, Misses: 1, Entries: 1}},
		{name: "at exp is a miss, leeway still accepts", advance: time.Second, want: CacheStats{Hits: 1, Misses: 2, Entries: 0}},
		{name: "still not cached", advance: 10 * time.Second, want: CacheStats{Hits: 1, Misses: 3, Entries: 0}},
		{name: "past the leeway it is expired", advance: 30 * time.Second, wantErr: ErrExpired, want: CacheStats{Hits: 1, Misses: 4, Entries: 0}},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		_, err := v.Verify(t.Context(), tok)
		if !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: Verify() = %v, want %v", s.name, err, s.wantErr)
		}
		if got := v.CacheStats(); got != s.want {
			t.Fatalf("%s: CacheStats() = %+v, want %+v", s.name, got, s.want)
		}
	}
}

func TestCacheOnlySuccesses(t *testing.T) {
	clock := newFakeClock()
	v := cachedVerifier(t, clock, 0)
	bad := sign(t, "RS256", testKeys().rsa2, map[string]any{"kid": "rsa1"}, claimsAt(issMain, clock.Now()))
	for range 2 {
		if _, err := v.Verify(t.Context(), bad); !errors.Is(err, ErrSignature) {
			t.Fatalf("Verify() = %v, want ErrSignature", err)
		}
	}
	if got := v.CacheStats(); got.Entries != 0 || got.Hits != 0 {
		t.Errorf("CacheStats() = %+v, want no entries and no hits", got)
	}
}

func TestCacheBounded(t *testing.T) {
	clock := newFakeClock()
	v := cachedVerifier(t, clock, 2)
	for i := range 3 {
		c := with(claimsAt(issMain, clock.Now()), "jti", itoa(int64(i)))
		if _, err := v.Verify(t.Context(), sign(t, "RS256", testKeys().rsa, map[string]any{"kid": "rsa1"}, c)); err != nil {
			t.Fatal(err)
		}
	}
	if got := v.CacheStats().Entries; got != 2 {
		t.Errorf("Entries = %d, want 2", got)
	}
}

func TestCacheDisabled(t *testing.T) {
	clock := newFakeClock()
	cfg := Config{
		Cache: CacheConfig{Disabled: true},
		Issuers: []IssuerConfig{{
			Issuer: issMain, Audiences: []string{"api"}, Algorithms: []string{"RS256"},
			PEMKeys: []PEMKey{{KeyID: "rsa1", File: writePublicPEM(t, &testKeys().rsa.PublicKey)}},
		}},
	}
	v := newVerifier(t, cfg, WithClock(clock.Now))
	tok := sign(t, "RS256", testKeys().rsa, map[string]any{"kid": "rsa1"}, claimsAt(issMain, clock.Now()))
	for range 2 {
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if got := v.CacheStats(); got != (CacheStats{}) {
		t.Errorf("CacheStats() = %+v, want zero", got)
	}
}
