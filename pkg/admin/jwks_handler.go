package admin

import (
	"net/http"

	"github.com/martyedge/security/pkg/token"
)

// JWKSPath is where JWKSHandler is conventionally mounted.
const JWKSPath = "/.well-known/jwks.json"

// jwksCacheControl says how long verifiers may cache the document. A key must be
// published (KeyRing.Add without activating) at least this long before it
// signs, or a verifier holding the old document refuses its tokens until
// it refetches (this server's Verifier does so on an unknown kid).
const jwksCacheControl = "public, max-age=300"

// JWKSHandler serves keys.JWKS() as application/jwk-set+json to GET and
// HEAD; other methods get 405.
func JWKSHandler(keys *token.KeyRing) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		doc, err := keys.JWKS()
		if err != nil {
			http.Error(w, "JWKS unavailable", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/jwk-set+json")
		h.Set("Cache-Control", jwksCacheControl)
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(doc) // a failed write means the client went away
	})
}
