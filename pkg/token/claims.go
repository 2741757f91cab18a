package token

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on claim values copied into the Identity. They end up in HTTP
// headers sent upstream, so they are bounded and restricted to safe text.
const (
	maxClaimBytes = 1024
	maxRoles      = 256
	maxRoleBytes  = 256
)

// Identity is the authenticated principal of a verified token. Verify may
// return an Identity shared with the cache: callers must not modify it.
type Identity struct {
	Subject   string    // the configured subject claim; never empty
	Tenant    string    // the configured tenant claim; may be empty
	Issuer    string    // the "iss" claim, one of the configured issuers
	SessionID string    // the configured session id claim; may be empty
	TokenID   string    // the "jti" claim; may be empty
	Roles     []string  // the configured roles claim; nil when absent
	IssuedAt  time.Time // "iat", UTC
	ExpiresAt time.Time // "exp", UTC
}

// claimPath is a configured claim location: a top-level name or, failing
// that, a dotted walk through nested objects.
type claimPath struct {
	name string
	segs []string
}

func newClaimPath(name string) claimPath {
	return claimPath{name: name, segs: strings.Split(name, ".")}
}

// lookup finds the claim. A top-level claim literally named like the whole
// path wins, so namespaced claims such as "https://example.com/roles" work.
func (p claimPath) lookup(claims map[string]any) (any, bool) {
	if v, ok := claims[p.name]; ok {
		return v, true
	}
	if len(p.segs) < 2 {
		return nil, false
	}
	var cur any = claims
	for _, s := range p.segs {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[s]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// claimMapping holds the issuer's configured claim paths.
type claimMapping struct {
	subject, roles, tenant, sessionID claimPath
}

func newClaimMapping(c ClaimsConfig) claimMapping {
	return claimMapping{
		subject:   newClaimPath(c.Subject),
		roles:     newClaimPath(c.Roles),
		tenant:    newClaimPath(c.Tenant),
		sessionID: newClaimPath(c.SessionID),
	}
}

// fill maps the verified claims onto id.
func (m *claimMapping) fill(claims map[string]any, id *Identity) *VerifyError {
	var ve *VerifyError
	if id.Subject, ve = stringClaim(claims, m.subject, true); ve != nil {
		return ve
	}
	if id.Tenant, ve = stringClaim(claims, m.tenant, false); ve != nil {
		return ve
	}
	if id.SessionID, ve = stringClaim(claims, m.sessionID, false); ve != nil {
		return ve
	}
	if id.TokenID, ve = stringClaim(claims, claimPath{name: "jti"}, false); ve != nil {
		return ve
	}
	id.Roles, ve = rolesClaim(claims, m.roles)
	return ve
}

func invalidClaim(name string) *VerifyError {
	return verifyErr(ErrInvalidClaim, fmt.Sprintf("invalid claim %q", name))
}

func missingClaim(name string) *VerifyError {
	return verifyErr(ErrMissingClaim, fmt.Sprintf("missing required claim %q", name))
}

// stringClaim reads an optional (or required, non-empty) safe string claim.
func stringClaim(claims map[string]any, p claimPath, required bool) (string, *VerifyError) {
	v, ok := p.lookup(claims)
	if !ok || v == nil {
		if required {
			return "", missingClaim(p.name)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok || checkSafeString(s) != nil {
		return "", invalidClaim(p.name)
	}
	if s == "" && required {
		return "", missingClaim(p.name)
	}
	return s, nil
}

// rolesClaim reads roles given as a JSON array of strings or as one
// space-separated string (the OAuth "scope" style). Absent means no roles.
func rolesClaim(claims map[string]any, p claimPath) ([]string, *VerifyError) {
	v, ok := p.lookup(claims)
	if !ok || v == nil {
		return nil, nil
	}
	var roles []string
	switch r := v.(type) {
	case string:
		// Check the whole string first so CR/LF/TAB are refused rather than
		// being taken for separators.
		if checkSafeString(r) != nil {
			return nil, invalidClaim(p.name)
		}
		roles = strings.Fields(r)
	case []any:
		if len(r) > maxRoles {
			return nil, invalidClaim(p.name)
		}
		roles = make([]string, 0, len(r))
		for _, e := range r {
			s, ok := e.(string)
			if !ok {
				return nil, invalidClaim(p.name)
			}
			roles = append(roles, s)
		}
	default:
		return nil, invalidClaim(p.name)
	}
	if len(roles) > maxRoles {
		return nil, invalidClaim(p.name)
	}
	for _, r := range roles {
		if checkRole(r) != nil {
			return nil, invalidClaim(p.name)
		}
	}
	return roles, nil
}

var (
	errUnsafeLength  = errors.New("value is too long")
	errUnsafeUTF8    = errors.New("value is not valid UTF-8")
	errUnsafeControl = errors.New("value contains a control character")
	errUnsafeRole    = errors.New("role is empty or contains a comma or whitespace")
)

// checkSafeString accepts text that can be copied into an HTTP header value:
// bounded, valid UTF-8, without ASCII control characters (which include CR,
// LF, NUL and TAB) or DEL.
func checkSafeString(s string) error {
	if len(s) > maxClaimBytes {
		return errUnsafeLength
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return errUnsafeControl
		}
	}
	// encoding/json turns invalid UTF-8 into U+FFFD, so distinct byte
	// strings would collapse into one value; refuse the replacement too.
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return errUnsafeUTF8
	}
	return nil
}

// checkRole additionally refuses what would break a comma- or space-joined
// role list in a header.
func checkRole(r string) error {
	if r == "" || len(r) > maxRoleBytes || strings.ContainsRune(r, ',') || strings.IndexFunc(r, unicode.IsSpace) >= 0 {
		return errUnsafeRole
	}
	return checkSafeString(r)
}
