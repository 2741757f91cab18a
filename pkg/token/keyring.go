package token

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// Errors of KeyRing changes.
var (
	// ErrUnknownKeyID: no key of the ring has that kid.
	ErrUnknownKeyID = errors.New("unknown kid")
	// ErrDuplicateKeyID: the ring already has a key with that kid.
	ErrDuplicateKeyID = errors.New("duplicate kid")
	// ErrActiveKey: the active key cannot be removed.
	ErrActiveKey = errors.New("the active key cannot be removed")
)

// KeyRing holds the private keys this server signs its own tokens with.
// One key is active and signs; every key's public half is published by
// JWKS, so verifiers (this server's Verifier with a jwks_file or jwks_url,
// Envoy's jwt_authn, other services) accept tokens of a retired key until
// they expire. It is safe for concurrent use: Mint and JWKS see one
// consistent state while Add, Activate and Remove replace it.
type KeyRing struct {
	issuer   string
	audience string
	ttl      time.Duration

	mu    sync.Mutex // serialises changes; readers use state
	state atomic.Pointer[ringState]
}

// SigningKey is one private key of a KeyRing.
type SigningKey struct {
	// KeyID is the "kid" header of the tokens it signs; required.
	KeyID string
	// Algorithm is the JWS "alg"; "" derives it from the key (RS256,
	// ES256, ES384, EdDSA).
	Algorithm string
	// Key is an RSA (at least 2048 bits), ECDSA P-256/P-384 or Ed25519
	// private key.
	Key crypto.Signer
}

// ringKey is a checked SigningKey.
type ringKey struct {
	kid    string
	alg    string
	method jwt.SigningMethod
	key    crypto.Signer
}

// ringState is an immutable snapshot of the ring.
type ringState struct {
	keys   []*ringKey // in the order added; the JWKS keeps it
	active *ringKey
	jwks   []byte
}

// NewKeyRing validates cfg (on a copy) and loads every key file. Errors name
// the field ("keys[1].key_file: ...").
func NewKeyRing(cfg IssuingConfig) (*KeyRing, error) {
	cfg.Keys = slices.Clone(cfg.Keys)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid issuing config: %w", err)
	}
	keys := make([]*ringKey, 0, len(cfg.Keys))
	var active *ringKey
	for i, ik := range cfg.Keys {
		sk, err := LoadSigningKey(ik)
		if err != nil {
			return nil, fmt.Errorf("keys[%d]: %w", i, err)
		}
		rk, err := checkSigningKey(sk)
		if err != nil {
			return nil, fmt.Errorf("keys[%d]: %w", i, err)
		}
		keys = append(keys, rk)
		if rk.kid == cfg.ActiveKeyID {
			active = rk
		}
	}
	r := &KeyRing{issuer: cfg.Issuer, audience: cfg.Audience, ttl: cfg.TokenTTL}
	st, err := newRingState(keys, active)
	if err != nil {
		return nil, err
	}
	r.state.Store(st)
	return r, nil
}

// LoadSigningKey reads the private key file of k; the result may be passed
// to KeyRing.Add. Errors name the field ("key_file: ...").
func LoadSigningKey(k IssuingKey) (SigningKey, error) {
	key, err := loadPrivateKey(k.KeyFile)
	if err != nil {
		return SigningKey{}, fmt.Errorf("key_file: %q: %w", k.KeyFile, err)
	}
	return SigningKey{KeyID: k.KeyID, Algorithm: k.Algorithm, Key: key}, nil
}

// checkSigningKey derives the algorithm and checks that key and algorithm
// fit, with the same rules the Verifier applies.
func checkSigningKey(k SigningKey) (*ringKey, error) {
	if err := checkKeyID(k.KeyID); err != nil {
		return nil, fmt.Errorf("kid: %w", err)
	}
	if err := checkSigningAlgorithm(k.Algorithm); err != nil {
		return nil, fmt.Errorf("algorithm: %w", err)
	}
	if k.Key == nil {
		return nil, errors.New("key: is required")
	}
	pub := k.Key.Public()
	if !usablePublicKey(pub) {
		return nil, fmt.Errorf("key: unsupported %T (need RSA >= %d bits, EC P-256/P-384 or Ed25519)", pub, minRSABits)
	}
	alg := k.Algorithm
	if alg == "" {
		alg = defaultAlgorithm(pub)
	}
	if !keyFits(alg, pub) {
		return nil, fmt.Errorf("algorithm: %q does not fit a %T", alg, pub)
	}
	return &ringKey{kid: k.KeyID, alg: alg, method: signingMethod(alg), key: k.Key}, nil
}

// newRingState builds a snapshot and its JWKS document.
func newRingState(keys []*ringKey, active *ringKey) (*ringState, error) {
	set := jwkset.JWKSMarshal{Keys: make([]jwkset.JWKMarshal, 0, len(keys))}
	for _, k := range keys {
		// Only the public key is handed to jwkset, so no private
		// material can reach the document whatever its options.
		jwk, err := jwkset.NewJWKFromKey(k.key.Public(), jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: jwkset.ALG(k.alg), USE: jwkset.UseSig},
		})
		if err != nil {
			return nil, fmt.Errorf("kid %q: build JWK: %w", k.kid, err)
		}
		set.Keys = append(set.Keys, jwk.Marshal())
	}
	doc, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("marshal JWKS: %w", err)
	}
	return &ringState{keys: keys, active: active, jwks: doc}, nil
}

// Issuer is the "iss" of the ring's tokens.
func (r *KeyRing) Issuer() string { return r.issuer }

// Audience is the "aud" of the ring's tokens.
func (r *KeyRing) Audience() string { return r.audience }

// TokenTTL is the longest lifetime of a token the ring mints: a token
// issued now is expired by now + TokenTTL.
func (r *KeyRing) TokenTTL() time.Duration { return r.ttl }

// ActiveKeyID is the kid of the key that signs.
func (r *KeyRing) ActiveKeyID() string { return r.state.Load().active.kid }

// KeyIDs lists the kids of every key, active or not, in the order added.
func (r *KeyRing) KeyIDs() []string {
	st := r.state.Load()
	ids := make([]string, len(st.keys))
	for i, k := range st.keys {
		ids[i] = k.kid
	}
	return ids
}

// JWKS returns the JWK Set (RFC 7517) of every key's public half, each with
// kid, alg and use "sig". The caller may modify the returned slice.
func (r *KeyRing) JWKS() ([]byte, error) {
	return slices.Clone(r.state.Load().jwks), nil
}

// Add adds a key to the ring, and makes it the signing key when activate is
// set. The usual rotation is to publish the new key first (activate false),
// let verifiers that cache the JWKS pick it up, then Activate it; the old
// key stays published until its last token has expired, then Remove it.
func (r *KeyRing) Add(k SigningKey, activate bool) error {
	rk, err := checkSigningKey(k)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state.Load()
	if st.find(rk.kid) != nil {
		return fmt.Errorf("add key %q: %w", rk.kid, ErrDuplicateKeyID)
	}
	active := st.active
	if activate {
		active = rk
	}
	next, err := newRingState(append(slices.Clip(st.keys), rk), active)
	if err != nil {
		return err
	}
	r.state.Store(next)
	return nil
}

// Activate makes the key with kid the signing key.
func (r *KeyRing) Activate(kid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state.Load()
	k := st.find(kid)
	if k == nil {
		return fmt.Errorf("activate key %q: %w", kid, ErrUnknownKeyID)
	}
	next := *st
	next.active = k
	r.state.Store(&next)
	return nil
}

// Remove drops a retired key: it is no longer published, so tokens it
// signed stop verifying once verifiers refresh their JWKS.
func (r *KeyRing) Remove(kid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state.Load()
	k := st.find(kid)
	switch {
	case k == nil:
		return fmt.Errorf("remove key %q: %w", kid, ErrUnknownKeyID)
	case k == st.active:
		return fmt.Errorf("remove key %q: %w", kid, ErrActiveKey)
	}
	keys := slices.DeleteFunc(slices.Clone(st.keys), func(c *ringKey) bool { return c == k })
	next, err := newRingState(keys, st.active)
	if err != nil {
		return err
	}
	r.state.Store(next)
	return nil
}

// find returns the key with kid, or nil.
func (s *ringState) find(kid string) *ringKey {
	for _, k := range s.keys {
		if k.kid == kid {
			return k
		}
	}
	return nil
}
