package authz_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/martyedge/security/internal/envoytest"
	"github.com/martyedge/security/pkg/authz"
	"github.com/martyedge/security/pkg/session"
)

// TestSessions drives the pipeline against the in-memory session store (the
// real embedded default): the session's roles are authoritative, role
// changes and revocations take effect on the next Check.
func TestSessions(t *testing.T) {
	k := newKeys(t)
	now := time.Now()
	store := session.NewMemoryStore()
	t.Cleanup(func() { _ = store.Close() })
	withStore := withOptions(func(o *authz.Options) { o.Sessions = store })
	f := newFixture(t, k, withStore)
	required := newFixture(t, k, withStore, withPolicy("policy-sessions.yaml"))
	shadow := newFixture(t, k, withStore, withShadow())
	ctx := t.Context()

	newSession := func(subject string, roles ...string) *session.Session {
		t.Helper()
		s := &session.Session{
			Subject: subject, Roles: roles, Tenant: "acme",
			CreatedAt: now, LastSeen: now, IdleTimeout: 10 * time.Minute, ExpiresAt: now.Add(time.Hour),
		}
		if err := store.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	tokenFor := func(subject, sid, jti string, roles ...string) string {
		c := claims(subject, roles...)
		if sid != "" {
			c["sid"] = sid
		}
		if jti != "" {
			c["jti"] = jti
		}
		return k.sign(t, c)
	}
	check := func(f *fixture, method, path, tok string) result {
		t.Helper()
		return summarize(t, f.check(t, envoytest.Request(method, path, envoytest.Bearer(tok))))
	}
	expect := func(r result, status int, reason string) {
		t.Helper()
		if status == http.StatusOK {
			if !r.allowed {
				t.Fatalf("denied %d %v, want allowed", r.status, r.body)
			}
			return
		}
		if r.allowed || r.status != status || r.body["error_description"] != reason {
			t.Fatalf("allowed=%v status=%d %v, want %d %q", r.allowed, r.status, r.body, status, reason)
		}
	}

	alice := newSession("alice", "viewer")
	aliceTok := tokenFor("alice", alice.ID, "jti-a1", "admin") // the token claims more than the session holds

	t.Run("session roles are authoritative", func(t *testing.T) {
		r := check(f, "GET", "/api/orders", aliceTok)
		expect(r, http.StatusOK, "")
		if r.headers["x-user-roles"] != "viewer" || r.headers["x-user-tenant"] != "acme" {
			t.Errorf("upstream got roles %q tenant %q, want the session's viewer/acme", r.headers["x-user-roles"], r.headers["x-user-tenant"])
		}
		expect(check(f, "POST", "/deploy", aliceTok), http.StatusForbidden, "insufficient permission")
	})
	t.Run("role change takes effect on the next check", func(t *testing.T) {
		if err := store.SetRoles(ctx, alice.ID, []string{"developer"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		expect(check(f, "POST", "/deploy", aliceTok), http.StatusOK, "")
	})
	t.Run("revoked session", func(t *testing.T) {
		if err := store.Revoke(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		expect(check(f, "GET", "/api/orders", aliceTok), http.StatusUnauthorized, "session has expired or been revoked")
		// In shadow mode the request passes, but not with the token's
		// identity: it claims admin, and the session that vouched for it is gone.
		r := check(shadow, "GET", "/api/orders", aliceTok)
		if !r.allowed || r.headers["x-user-id"] != "" || r.headers["x-user-roles"] != "" {
			t.Errorf("shadow allow of a revoked session: allowed=%v headers=%v, want allowed without identity headers", r.allowed, r.headers)
		}
	})
	t.Run("another subject's session id", func(t *testing.T) {
		bob := newSession("bob", "admin")
		expect(check(f, "GET", "/api/orders", tokenFor("mallory", bob.ID, "", "viewer")), http.StatusUnauthorized, "session has expired or been revoked")
	})
	t.Run("denylisted jti", func(t *testing.T) {
		dave := newSession("dave", "viewer")
		tok := tokenFor("dave", dave.ID, "jti-d1")
		expect(check(f, "GET", "/api/orders", tok), http.StatusOK, "")
		if err := store.DenyToken(ctx, "dave", "jti-d1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		expect(check(f, "GET", "/api/orders", tok), http.StatusUnauthorized, "token has been revoked")
		expect(check(f, "GET", "/api/orders", tokenFor("dave", dave.ID, "jti-d2")), http.StatusOK, "")
	})
	t.Run("subject not-before", func(t *testing.T) {
		old := tokenFor("carol", "", "", "viewer")
		expect(check(f, "GET", "/api/orders", old), http.StatusOK, "")
		if _, err := store.RevokeSubject(ctx, "carol", time.Now(), time.Hour); err != nil {
			t.Fatal(err)
		}
		expect(check(f, "GET", "/api/orders", old), http.StatusUnauthorized, "token has been revoked")
		c := claims("carol", "viewer")
		c["iat"] = time.Now().Add(2 * time.Second).Unix() // issued after the revocation (within leeway)
		expect(check(f, "GET", "/api/orders", k.sign(t, c)), http.StatusOK, "")
	})
	t.Run("policy requires a session", func(t *testing.T) {
		expect(check(required, "GET", "/api/orders", tokenFor("erin", "", "", "viewer")), http.StatusUnauthorized, "token does not belong to a session")
		expect(check(required, "GET", "/api/inventory/1", tokenFor("svc", "", "", "service_account")), http.StatusOK, "")
		expect(check(required, "GET", "/api/inventory/1", tokenFor("svc", "", "", "service_account", "admin")), http.StatusUnauthorized, "token does not belong to a session")
		erin := newSession("erin", "viewer")
		expect(check(required, "GET", "/api/orders", tokenFor("erin", erin.ID, "")), http.StatusOK, "")
	})
}
