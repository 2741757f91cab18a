package authz

import (
	"net/http"
	"strings"
)

// credential is what the caller presented, before verification.
type credential struct {
	token string
	// problem is set when the caller sent something that cannot be a usable
	// bearer token (wrong scheme, duplicate headers, empty token).
	problem *denial
}

// extractToken finds the bearer token: the Authorization header first, then
// the configured token header, then the configured cookie. A caller that
// sends nothing gets an empty credential without a problem.
func (s *Service) extractToken(r request) credential {
	if v, n := r.header("authorization"); n > 0 {
		return parseAuthorization(v, n)
	}
	if s.opts.TokenHeader != "" {
		if v, n := r.header(s.opts.TokenHeader); n > 0 {
			if n > 1 || strings.Contains(v, ",") {
				return credential{problem: errMultipleCredentials}
			}
			v = strings.TrimSpace(v)
			if v == "" {
				return credential{problem: errEmptyToken}
			}
			return credential{token: v}
		}
	}
	if s.opts.TokenCookie != "" {
		if c, n := r.header("cookie"); n > 0 {
			if v, found := cookieValue(c, s.opts.TokenCookie); found {
				if v == "" {
					return credential{problem: errEmptyToken}
				}
				return credential{token: v}
			}
		}
	}
	return credential{}
}

// parseAuthorization reads "Bearer <token>" (scheme case-insensitive, RFC
// 7235). Envoy joins repeated headers with a comma; a compact JWS never
// contains one, so a comma means the client sent several credentials and we
// refuse to guess which one counts.
func parseAuthorization(v string, lines int) credential {
	if lines > 1 || strings.Contains(v, ",") {
		return credential{problem: errMultipleCredentials}
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(v), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return credential{problem: errWrongScheme}
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return credential{problem: errEmptyToken}
	}
	return credential{token: tok}
}

// cookieValue returns the named cookie from a Cookie header value.
func cookieValue(header, name string) (string, bool) {
	cookies, err := http.ParseCookie(header)
	if err != nil {
		// A malformed cookie header may still carry ours; fall back to a
		// lenient scan instead of refusing the whole request.
		for part := range strings.SplitSeq(header, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && k == name {
				return strings.Trim(v, `"`), true
			}
		}
		return "", false
	}
	for _, c := range cookies {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}
