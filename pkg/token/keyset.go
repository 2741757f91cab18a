package token

import "crypto"

// verificationKey is one public key an issuer signs with.
type verificationKey struct {
	kid string // "" for a key without kid
	alg string // the JWK "alg" restricting the key; "" when unrestricted
	key any    // *rsa.PublicKey, *ecdsa.PublicKey (P-256/P-384) or ed25519.PublicKey
}

// fits reports whether the key may verify a signature made with alg.
func (k *verificationKey) fits(alg string) bool {
	return (k.alg == "" || k.alg == alg) && keyFits(alg, k.key)
}

// sameAs reports whether o is the same key (kid, restriction and material).
func (k *verificationKey) sameAs(o *verificationKey) bool {
	if k.kid != o.kid || k.alg != o.alg {
		return false
	}
	eq, ok := k.key.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(o.key)
}

// keySet is an immutable set of verification keys; a refresh replaces the
// whole set atomically so in-flight verifications see one consistent set.
type keySet struct {
	keys  []*verificationKey
	byKID map[string][]*verificationKey
}

func newKeySet(keys []*verificationKey) *keySet {
	s := &keySet{keys: keys, byKID: make(map[string][]*verificationKey, len(keys))}
	for _, k := range keys {
		if k.kid != "" {
			s.byKID[k.kid] = append(s.byKID[k.kid], k)
		}
	}
	return s
}

// contains reports whether s holds a key identical to k.
func (s *keySet) contains(k *verificationKey) bool {
	if s == nil {
		return false
	}
	for _, c := range s.keys {
		if c.sameAs(k) {
			return true
		}
	}
	return false
}

// lookupStatus is the outcome of a key lookup.
type lookupStatus int

const (
	keyNotFound  lookupStatus = iota // no key with that kid
	keyWrongType                     // key(s) found but none fits the algorithm
	keyAmbiguous                     // token without kid, several keys fit
	keyNeedsKID                      // token without kid, the one fitting key has a kid
	keyFound
)

// keyLookup accumulates a lookup over several key sets (static and fetched).
type keyLookup struct {
	alg, kid string
	hasKID   bool
	found    *verificationKey
	matches  int  // keys fitting alg (only counted when !hasKID)
	seen     bool // some key with the token's kid (or some key at all) was seen
}

// scan looks for the key in s. With a kid, the first key of that kid which
// fits the algorithm wins. Without one, a key is used only if it is the
// single key of the right type and has no kid itself: we never guess.
func (l *keyLookup) scan(s *keySet) {
	if s == nil {
		return
	}
	if l.hasKID {
		if l.found != nil {
			return
		}
		for _, k := range s.byKID[l.kid] {
			l.seen = true
			if k.fits(l.alg) {
				l.found = k
				return
			}
		}
		return
	}
	for _, k := range s.keys {
		l.seen = true
		if k.fits(l.alg) {
			l.matches++
			l.found = k
		}
	}
}

func (l *keyLookup) status() lookupStatus {
	switch {
	case l.hasKID && l.found != nil:
		return keyFound
	case l.hasKID && l.seen:
		return keyWrongType
	case l.hasKID:
		return keyNotFound
	case l.matches > 1:
		return keyAmbiguous
	case l.matches == 1 && l.found.kid == "":
		return keyFound
	case l.matches == 1:
		return keyNeedsKID
	case l.seen:
		return keyWrongType
	}
	return keyNotFound
}
